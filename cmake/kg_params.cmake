# The one place the array geometries are defined.
#
# KG_ROWS x KG_COLS is the configuration that the demo, the CLI and the
# benchmarks use by default. KG_TEST_CONFIGS lists every geometry the test
# suite builds a Verilated model for; KG_BENCH_CONFIGS those the benchmarks
# build. Each entry is "<rows>x<cols>".
set(KG_ROWS 8 CACHE STRING "Systolic array rows (R) of the default configuration")
set(KG_COLS 8 CACHE STRING "Systolic array columns (C) of the default configuration")
set(KG_TEST_CONFIGS "4x4;8x8;4x8" CACHE STRING "Array geometries the tests build and run")
set(KG_BENCH_CONFIGS "8x8;16x16" CACHE STRING "Array geometries the benchmarks build")
# AES cipher of kg_top in the driver's "rtl" back-end (libkgmac, the kgmac
# CLI, make demo): "pipelined" (the default: AES-CTR, the default lock,
# decrypts at full rate, so protection costs no cycles, as make bench-soc
# measures) or "iterative" (CIPHER_PIPELINED=0, the small FPGA
# configuration; CTR weights then decrypt at 1/11 of full rate, which cost
# the 8x8 demo MLP 1.87x its unprotected cycles; Deep-Lock and the sign key
# are unaffected). The iterative one simulates about 1.5x faster.
set(KG_DRIVER_CIPHER "pipelined" CACHE STRING "kg_top AES cipher of the driver's rtl back-end: iterative or pipelined")
set_property(CACHE KG_DRIVER_CIPHER PROPERTY STRINGS iterative pipelined)
if(NOT KG_DRIVER_CIPHER MATCHES "^(iterative|pipelined)$")
  message(FATAL_ERROR "kgmac: KG_DRIVER_CIPHER must be iterative or pipelined, not '${KG_DRIVER_CIPHER}'")
endif()
# Geometry of the SystemC TLM model (sim/systemc: kg_tlm over the Verilated
# kg_top, kg_tlm_lt over the functional model). The firmware tests (tests/fw)
# run on the first entry of KG_TEST_CONFIGS.
set(KG_TLM_CONFIG "4x4" CACHE STRING "Array geometry of the SystemC TLM model (<rows>x<cols>)")
# Rows of the accumulator buffer: the largest M a single pass can hold.
set(KG_ACC_DEPTH 256 CACHE STRING "Accumulator buffer depth (rows of C int32)")

# kg_parse_config(<"RxC"> <out-rows> <out-cols>)
function(kg_parse_config cfg out_r out_c)
  if(NOT cfg MATCHES "^([0-9]+)x([0-9]+)$")
    message(FATAL_ERROR "kgmac: array configuration '${cfg}' is not of the form <rows>x<cols>")
  endif()
  set(${out_r} ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(${out_c} ${CMAKE_MATCH_2} PARENT_SCOPE)
endfunction()
