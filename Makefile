# The two commands in the README: `make demo` and `make test`.
# Both install missing Debian packages first, then build incrementally.

RELEASE_DIR := build/release
TEST_DIR    := build/asan
DEMO_DB     := var/demo.db
PORT        ?= 8080
GRIDS       ?= 9660
SEED        ?= 1
JOBS        ?= $(shell nproc)

.PHONY: demo test deps release asan web bench clean format

deps:
	@scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja: | deps
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_TESTS=OFF

$(TEST_DIR)/build.ninja: | deps
	cmake -S . -B $(TEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=ON

release: deps $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

asan: deps $(TEST_DIR)/build.ninja
	cmake --build $(TEST_DIR) -j $(JOBS)

# The web app (web/, OpenLayers): npm packages from the lock file, then the bundle in web/dist.
WEB_SOURCES := web/index.html web/build.mjs $(wildcard web/src/*.js)

web/node_modules/.installed: web/package.json web/package-lock.json | deps
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

web: web/dist/index.html

# The demo database is rebuilt when the generator or its sample data change, not on every build.
$(DEMO_DB): data/demo_city.cpp $(wildcard data/samples/*) | release
	@mkdir -p var
	$(RELEASE_DIR)/tessera demo --db $@.tmp --grids $(GRIDS) --seed $(SEED) --force
	@rm -f $@ $@-wal $@-shm
	@mv $@.tmp $@

demo: release web $(DEMO_DB)
	$(RELEASE_DIR)/tessera serve --db $(DEMO_DB) --port $(PORT) --web web/dist --print-demo-logins

test: asan web
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --test-dir $(TEST_DIR) --output-on-failure -j $(JOBS)

# Benchmarks (docs/benchmarks.md): Release build with -DTESSERA_BENCH=ON, then every benchmark.
bench: deps
	cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_TESTS=OFF -DTESSERA_BENCH=ON
	cmake --build build/bench -j $(JOBS)
	build/bench/bench/crs_bench
	build/bench/bench/locate_bench
	@if [ -f $(DEMO_DB) ]; then \
	    build/bench/bench/ingest_bench --db $(DEMO_DB) && \
	    bench/with_postgis.sh build/bench/bench/tile_bench --db $(DEMO_DB) && \
	    bench/http_tiles_warm.sh $(DEMO_DB); \
	else echo "ingest_bench, tile_bench and http_tiles_warm skipped: no $(DEMO_DB) (make demo builds it)"; fi

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build web/dist web/node_modules
