-- wrk script: POST /api/v1/conversions with a unique order id per request (attributed by ref, so
-- each one writes a conversion, a commission, ledger entries and the rollup).
-- Environment: PARTNERD_BENCH_KEY (secret key), PARTNERD_BENCH_PROGRAM, PARTNERD_BENCH_REF (a ref
-- code, or several separated by commas: the orders go to each in turn), PARTNERD_BENCH_TAG
-- (optional: what makes the order ids of wrk processes run at once distinct).
local key = os.getenv("PARTNERD_BENCH_KEY")
local program = os.getenv("PARTNERD_BENCH_PROGRAM")
local refs = {}
for r in string.gmatch(os.getenv("PARTNERD_BENCH_REF"), "[^,]+") do
    refs[#refs + 1] = r
end
local tag = os.getenv("PARTNERD_BENCH_TAG") or ""
tag = string.format("%s%d-%d", tag, os.time(), math.floor(os.clock() * 1e6))
local n = 0
local threads = 0

-- Each wrk thread runs its own copy of this script: number them so order ids never collide.
function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

request = function()
    n = n + 1
    local body = string.format(
        '{"program_id":"%s","order_id":"wrk-%s-%s-%d","amount":4999,"currency":"USD","ref":"%s"}',
        program, tag, tostring(thread_id or 0), n, refs[n % #refs + 1])
    return wrk.format(nil, nil, nil, body)
end
