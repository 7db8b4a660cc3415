# kgmac: thin wrapper over CMake. See README.md.
#
#   make test        install missing packages, configure, build, lint, run ctest
#   make demo        run the demo
#   make lint        verilator --lint-only -Wall on every RTL module
#   make soak        long random sweeps (not part of make test)
#   make bench-array / bench-aes / bench-soc   benchmarks (figures go to docs/results.md)
#   make synth       yosys/iCE40 area figures
#
# Options (pass on the command line, e.g. `make test BUILD_TYPE=Debug`):
BUILD       ?= build
BUILD_TYPE  ?= Release
ROWS        ?= 8
COLS        ?= 8
TRACE       ?= OFF
JOBS        ?= $(shell nproc)
CMAKE_ARGS  ?=

CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKG_ROWS=$(ROWS) -DKG_COLS=$(COLS) \
              -DKG_TRACE=$(TRACE) $(CMAKE_ARGS)

.PHONY: all deps configure build test lint synth-check demo soak bench-array bench-aes bench-soc synth firmware-rv32 clean

all: build

deps:
	@scripts/deps.sh

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

lint: deps
	scripts/lint.sh

synth-check: deps
	scripts/synth_check.sh
	scripts/synth_check.sh rtl/synth_targets_slow.txt

test: build lint
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/sim/bench/array/kg_demo_gemm

# 10^5 random array GEMMs in all: 20,000 per array test binary (5 geometries/variants).
SOAK_SEED ?= 7
# Plus 2,000 random kg_top layers per test geometry, and 10^4 random layers
# cross-checked between the functional model and the RTL.
soak: build
	@for t in $(BUILD)/tests/array/kg_test_array_*; do \
	  KG_RANDOM_CASES=20000 KG_SEED=$(SOAK_SEED) $$t --gtest_filter='*RandomGemm*' || exit 1; \
	done
	@for t in $(BUILD)/tests/top/kg_test_top_*; do \
	  KG_TOP_LAYERS=2000 KG_SEED=$(SOAK_SEED) $$t --gtest_filter='*Random*' || exit 1; \
	done
	KG_MODEL_LAYERS=10000 $(BUILD)/tests/model/kg_test_model_xcheck_4x4 --gtest_filter='*RandomLayers*'

# Benchmarks build their own (larger) geometries on demand.
bench-array: configure
	cmake --build $(BUILD) -j $(JOBS) --target kg_bench_array
	$(BUILD)/sim/bench/array/kg_bench_array

bench-aes: configure
	cmake --build $(BUILD) -j $(JOBS) --target kg_bench_aes
	$(BUILD)/sim/bench/aes/kg_bench_aes

bench-soc: configure
	cmake --build $(BUILD) -j $(JOBS) --target kg_bench_soc
	$(BUILD)/sim/bench/top/kg_bench_soc

synth: deps
	scripts/synth_array.sh
	scripts/synth_aes.sh

firmware-rv32: deps
	scripts/fw_rv32.sh $(BUILD)/firmware-rv32

clean:
	rm -rf $(BUILD)
