-- PATCH one conversation's summary; bench/run.py sets BENCH_KEY.
wrk.method = "PATCH"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"summary": "benchmarking the update path"}'
