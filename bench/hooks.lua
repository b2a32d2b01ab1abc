-- wrk script: POST the requests of a file, one a line "Name: value<TAB>BODY" (a signed Stripe
-- delivery each, made by bench/bench_hooks.py), in order, one request per line; after the last
-- line it starts again, which the caller detects (more requests than lines) since a repeated
-- event is a duplicate and costs less than a new one.
-- Environment: PARTNERD_BENCH_REQUESTS (the file).
local lines = {}
for line in io.lines(os.getenv("PARTNERD_BENCH_REQUESTS")) do
    local tab = line:find("\t", 1, true)
    if tab then
        local header = line:sub(1, tab - 1)
        local colon = header:find(":", 1, true)
        lines[#lines + 1] = {header:sub(1, colon - 1), header:sub(colon + 2), line:sub(tab + 1)}
    end
end
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
    n = n + 1
    local l = lines[(n - 1) % #lines + 1]
    return wrk.format(nil, nil, {[l[1]] = l[2], ["Content-Type"] = "application/json"}, l[3])
end
