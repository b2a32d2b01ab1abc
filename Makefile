# Thin wrapper over CMake. `make run` and `make test` are all a newcomer needs.
PARTNERD_DB     ?= sqlite:build/demo.db
PARTNERD_LISTEN ?= 127.0.0.1:8080
JOBS            ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS      ?=

.PHONY: all deps build build-asan test soak run bench bench-deps clean format build/partnerd

all: build

deps:
	@scripts/deps.sh

build/CMakeCache.txt:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: build/CMakeCache.txt
	cmake --build build -j$(JOBS)

# The sanitizer build uses clang so the same tree also builds the libFuzzer targets.
build-asan/CMakeCache.txt:
	CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPD_SANITIZE=ON -DPD_FUZZ=ON >/dev/null

build-asan: build-asan/CMakeCache.txt
	cmake --build build-asan -j$(JOBS)

# Every test on the ASan+UBSan build, then every test again on the optimised build.
test: deps
	@$(MAKE) --no-print-directory build-asan build
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)
	cd build && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

# The ledger property test at full length: 100,000 random money operations on the optimised build,
# from a new random seed each run (printed; `make test` replays fixed ones).
# PARTNERD_PROPERTY_SEED=N replays a seed.
soak: deps build
	PARTNERD_PROPERTY_SEED=$${PARTNERD_PROPERTY_SEED:-$$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')} \
		PARTNERD_PROPERTY_STEPS=$${PARTNERD_PROPERTY_STEPS:-100000} build/test_ledger_property

build/partnerd: build/CMakeCache.txt
	cmake --build build -j$(JOBS) --target partnerd

run: deps build/partnerd
	@scripts/run-demo.sh "$(PARTNERD_DB)" "$(PARTNERD_LISTEN)"

# nginx-light (the baseline) and wrk are needed only here, never by `make test`.
bench-deps:
	@PARTNERD_DEPS_EXTRA="$(strip $(PARTNERD_DEPS_EXTRA) nginx-light wrk)" scripts/deps.sh

bench: bench-deps build
	@bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan
