# opencloser — the two set-up commands of README.md and their helpers.
#   make demo    install what is missing, build, run the demo
#   make test    install what is missing, build, run the unit and logic tests (ctest)
#   make compat  run the predecessor compatibility suite (../shared/predecessor)
#   make bench   build, run the drain benchmark harness (cli.md §10; BENCH_ARGS=... passes flags)
BUILD_DIR ?= build
JOBS ?= 2
PREDECESSOR_DIR ?= $(abspath ../shared/predecessor)

.PHONY: deps configure build test compat demo bench clean

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release \
	  -DOPENCLOSER_PREDECESSOR_DIR=$(PREDECESSOR_DIR) > $(BUILD_DIR).configure.log 2>&1 \
	  || (cat $(BUILD_DIR).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -LE compat -j $(JOBS)

compat: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L compat

demo: build
	@scripts/demo.sh $(BUILD_DIR)

# A harness, not a test: it measures and writes bench/results/<name>.json and SVG plots.
bench: build
	@$(BUILD_DIR)/bench/opencloser-bench $(BENCH_ARGS)

clean:
	@rm -rf $(BUILD_DIR) $(BUILD_DIR).configure.log
