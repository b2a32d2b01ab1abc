-- wrk script: POST the requests of a file, one a line "Name: value<TAB>BODY" (a signed Stripe
-- delivery each, made by bench/bench_hooks.py), in order, one request per line; after the last
-- line it starts again, which the caller detects (more requests than lines) since a repeated
-- event is a duplicate and costs less than a new one.
-- Environment: PARTNERD_BENCH_REQUESTS (the file).
local lines = {}
for line in io.lines(os.getenv("PARTNERD_BENCH_REQUESTS")) do
    if line:find("\t", 1, true) then
        lines[#lines + 1] = line
    end
end
local n = 0

wrk.method = "POST"

request = function()
    n = n + 1
    local line = lines[(n - 1) % #lines + 1]
    local colon = line:find(": ", 1, true)
    local tab = line:find("\t", colon, true)
    return wrk.format(nil, nil, {[line:sub(1, colon - 1)] = line:sub(colon + 2, tab - 1),
                                 ["Content-Type"] = "application/json"}, line:sub(tab + 1))
end
