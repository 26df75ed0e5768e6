-- GET one conversation; bench/run.py sets KEY and the URL's path.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
