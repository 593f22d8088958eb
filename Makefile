# opencloser — the two set-up commands of README.md and their helpers.
#   make demo    install what is missing, build, run the demo
#   make test    install what is missing, build, run the unit and logic tests (ctest)
#   make compat  run the predecessor compatibility suite (../shared/predecessor)
BUILD_DIR ?= build
JOBS ?= 2
PREDECESSOR_DIR ?= $(abspath ../shared/predecessor)

.PHONY: deps configure build test compat demo clean

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

clean:
	@rm -rf $(BUILD_DIR) $(BUILD_DIR).configure.log
