# Verilator helpers shared by every Verilated model in kgmac.
#
# verilate() compiles its own copy of the Verilator runtime (verilated.cpp, ...)
# into every target. kgmac builds that runtime once, as the static library
# kg_verilated_rt, and kg_verilate() strips the per-target copy.

find_package(verilator REQUIRED HINTS $ENV{VERILATOR_ROOT} /usr/share/verilator)
find_package(Threads REQUIRED)

option(KG_TRACE "Build Verilated models with FST waveform tracing" OFF)
if(KG_TRACE)
  find_package(ZLIB REQUIRED)
endif()

set(KG_VERILATOR_WARN -Wall --x-assign unique --x-initial unique --assert)

set(_kg_rt_src
  ${VERILATOR_ROOT}/include/verilated.cpp
  ${VERILATOR_ROOT}/include/verilated_threads.cpp)
if(KG_TRACE)
  list(APPEND _kg_rt_src ${VERILATOR_ROOT}/include/verilated_fst_c.cpp)
endif()
add_library(kg_verilated_rt STATIC ${_kg_rt_src})
target_include_directories(kg_verilated_rt PUBLIC
  ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd)
target_compile_options(kg_verilated_rt PRIVATE -O3 -w)
target_compile_definitions(kg_verilated_rt PUBLIC
  VM_TRACE=$<BOOL:${KG_TRACE}> VM_TRACE_FST=$<BOOL:${KG_TRACE}> VM_TRACE_VCD=0
  VM_COVERAGE=0 VM_SC=0)
target_link_libraries(kg_verilated_rt PUBLIC Threads::Threads)
if(KG_TRACE)
  target_link_libraries(kg_verilated_rt PUBLIC ZLIB::ZLIB)
endif()

# kg_verilate(<static-lib-target> TOP <module> PREFIX <Vname>
#             SOURCES <v files...> [ARGS <extra verilator args...>])
# Verilates <module> into <static-lib-target> at -O3, with -Wall (so a lint
# warning fails configure), tracing when KG_TRACE is on, and links the shared
# runtime instead of a private copy.
function(kg_verilate target)
  cmake_parse_arguments(KV "" "TOP;PREFIX" "SOURCES;ARGS" ${ARGN})
  set(_trace)
  if(KG_TRACE)
    set(_trace TRACE_FST)
  endif()
  verilate(${target} ${_trace}
    SOURCES ${KV_SOURCES}
    TOP_MODULE ${KV_TOP}
    PREFIX ${KV_PREFIX}
    OPT_FAST -O3 OPT_SLOW -O1 OPT_GLOBAL -O3
    VERILATOR_ARGS ${KG_VERILATOR_WARN} -I${PROJECT_SOURCE_DIR}/common/regs/include ${KV_ARGS})
  get_target_property(_srcs ${target} SOURCES)
  list(FILTER _srcs EXCLUDE REGEX "^${VERILATOR_ROOT}/include/")
  set_property(TARGET ${target} PROPERTY SOURCES ${_srcs})
  target_link_libraries(${target} PUBLIC kg_verilated_rt)
endfunction()
