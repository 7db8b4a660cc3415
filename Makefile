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

.PHONY: all deps configure build test lint synth-check demo demo-gemm keysweep security soak bench-model bench-array bench-aes bench-soc synth firmware-rv32 clean

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
	$(MAKE) test-asan

# Fashion-MNIST on the Verilated kg_top (scripts/demo.sh): builds only what it
# needs, trains once (cached in $(BUILD)/demo), five key cases, one table.
# KEYS=fixed: keys from fixed seeds (the same table every run); KEYS=random:
# fresh keys from /dev/urandom.
MODEL ?= mlp
KEYS  ?= fixed
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target kgmac_cli
	MODEL=$(MODEL) KEYS=$(KEYS) scripts/demo.sh $(BUILD)

# The array-level GEMM demo of the key-gated systolic array alone.
demo-gemm: configure
	cmake --build $(BUILD) -j $(JOBS) --target kg_demo_gemm
	$(BUILD)/sim/bench/array/kg_demo_gemm

# Accuracy vs wrong sign-key bits on the functional model, drawn with gnuplot
# into docs/img/key_sensitivity_$(MODEL).svg (trains the demo model if needed).
SWEEP_TRIALS ?= 10
keysweep: configure
	cmake --build $(BUILD) -j $(JOBS) --target kgmac_cli kg_keysweep
	MODEL=$(MODEL) scripts/keysweep.sh $(BUILD) $(SWEEP_TRIALS)

# The attack lab (scripts/security.sh, docs/security.md): every `kgmac attack`
# on the demo's Fashion-MNIST MLP and CNN (trained once, cached in
# $(BUILD)/demo); rewrites the figures block of docs/security.md. Not part of
# `make test`.
security: configure
	cmake --build $(BUILD) -j $(JOBS) --target kgmac_cli
	scripts/security.sh $(BUILD)

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

# Functional model vs RTL host seconds on a 256^3 FC layer at 16x16 (docs/model.md).
bench-model: configure
	cmake --build $(BUILD) -j $(JOBS) --target kg_model_speed_16x16
	$(BUILD)/tests/model/kg_model_speed_16x16 10

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

# --- Sanitizers and fuzzing (tests/fuzz; docs/model-format.md, "Testing") ---
# test-asan: a second build directory (clang-14) with ASan+UBSan on the
#   .kgm/.kgk codec, the locker, the driver, the CLI and their tests, and
#   the libFuzzer target; runs the kgm., driver., fuzz. (with a 30 s fuzz
#   smoke test, started first), CLI (host.CliKgm*) and IDX reader
#   (host.Idx) tests. Only the components those need, at 4x4; sanitized
#   targets get -g.
# fuzz: runs the libFuzzer target for FUZZ_SECONDS and prints the exec count.
ASAN_BUILD   ?= build-asan
FUZZ_SECONDS ?= 300
ASAN_TESTS   ?= ^(kgm|driver|fuzz)\.|^host\.(CliKgm|Idx)
ASAN_CMAKE_FLAGS = -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DKG_SANITIZE=ON -DKG_FUZZ=ON \
  "-DKG_COMPONENTS=top;aes;host" -DKG_TEST_CONFIGS=4x4 -DKG_BENCH_CONFIGS=4x4 -DKG_ROWS=4 -DKG_COLS=4

.PHONY: asan-build test-asan fuzz

asan-build: deps
	cmake -S . -B $(ASAN_BUILD) $(ASAN_CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target kg_asan_tests

test-asan: asan-build
	cd $(ASAN_BUILD) && UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -R '$(ASAN_TESTS)'

fuzz: asan-build
	@cd $(ASAN_BUILD)/tests/fuzz && mkdir -p work && \
	  echo "kg_fuzz_kgm: $(FUZZ_SECONDS) s, corpus work/ + corpus/ (log: $(ASAN_BUILD)/tests/fuzz/fuzz.log)" && \
	  { ./kg_fuzz_kgm -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 work corpus > fuzz.log 2>&1; \
	    rc=$$?; grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)|ERROR|SUMMARY' fuzz.log; \
	    exit $$rc; }
