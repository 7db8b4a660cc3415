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
# C++ optimisation of the Verilated models (a scratch build may take -O1).
set(KG_VERILATED_OPT -O3 CACHE STRING "C++ optimisation level of the fast Verilated code")
# Include folders searched before those of the RTL manifests, e.g. a
# kg_regs.vh generated from a modified register map (tests/rtl/desc_layout).
set(KG_RTL_INCLUDE_FIRST "" CACHE PATH "Include folders the Verilated RTL searches first")
# The repository root: RTL manifest paths are relative to it.
get_filename_component(KG_SOURCE_ROOT ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)

set(_kg_rt_src
  ${VERILATOR_ROOT}/include/verilated.cpp
  ${VERILATOR_ROOT}/include/verilated_threads.cpp)
if(KG_TRACE)
  list(APPEND _kg_rt_src ${VERILATOR_ROOT}/include/verilated_fst_c.cpp)
endif()
add_library(kg_verilated_rt STATIC ${_kg_rt_src})
target_include_directories(kg_verilated_rt PUBLIC
  ${VERILATOR_ROOT}/include ${VERILATOR_ROOT}/include/vltstd)
target_compile_options(kg_verilated_rt PRIVATE ${KG_VERILATED_OPT} -w)
target_compile_definitions(kg_verilated_rt PUBLIC
  VM_TRACE=$<BOOL:${KG_TRACE}> VM_TRACE_FST=$<BOOL:${KG_TRACE}> VM_TRACE_VCD=0
  VM_COVERAGE=0 VM_SC=0)
target_link_libraries(kg_verilated_rt PUBLIC Threads::Threads)
if(KG_TRACE)
  target_link_libraries(kg_verilated_rt PUBLIC ZLIB::ZLIB)
endif()

# kg_rtl_manifest(<manifest.f> <out-sources> <out-incdirs>)
# Reads an RTL manifest (rtl/**/*.f; the format is described in
# scripts/rtl_files.sh: one file per line, +incdir+<dir>, -f <manifest>,
# // comments, paths relative to the repository root) into absolute source
# and include-folder lists. Editing a manifest re-runs configure.
function(kg_rtl_manifest manifest out_srcs out_incs)
  set(_srcs)
  set(_incs)
  _kg_rtl_manifest_walk(${manifest} 0)
  list(REMOVE_DUPLICATES _srcs)
  list(REMOVE_DUPLICATES _incs)
  set(${out_srcs} ${_srcs} PARENT_SCOPE)
  set(${out_incs} ${_incs} PARENT_SCOPE)
endfunction()

# Appends to _srcs/_incs of the caller (kg_rtl_manifest).
function(_kg_rtl_manifest_walk manifest depth)
  if(depth GREATER 8)
    message(FATAL_ERROR "kgmac: RTL manifest ${manifest}: nested too deep (a cycle?)")
  endif()
  set(_path ${KG_SOURCE_ROOT}/${manifest})
  if(NOT EXISTS ${_path})
    message(FATAL_ERROR "kgmac: no such RTL manifest: ${manifest}")
  endif()
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_path})
  file(STRINGS ${_path} _lines)
  foreach(_l IN LISTS _lines)
    string(REGEX REPLACE "//.*$" "" _l "${_l}")
    string(STRIP "${_l}" _l)
    if(_l STREQUAL "")
      continue()
    elseif(_l MATCHES "^\\+incdir\\+(.+)$")
      set(_d ${KG_SOURCE_ROOT}/${CMAKE_MATCH_1})
      if(NOT IS_DIRECTORY ${_d})
        message(FATAL_ERROR "kgmac: ${manifest}: no such include folder: ${CMAKE_MATCH_1}")
      endif()
      list(APPEND _incs ${_d})
    elseif(_l MATCHES "^-f[ \t]*(.+)$")
      math(EXPR _next "${depth} + 1")
      _kg_rtl_manifest_walk(${CMAKE_MATCH_1} ${_next})
    elseif(_l MATCHES "\\.s?v$")
      set(_f ${KG_SOURCE_ROOT}/${_l})
      if(NOT EXISTS ${_f})
        message(FATAL_ERROR "kgmac: ${manifest}: no such file: ${_l}")
      endif()
      list(APPEND _srcs ${_f})
    else()
      message(FATAL_ERROR "kgmac: ${manifest}: cannot read line '${_l}'")
    endif()
  endforeach()
  set(_srcs ${_srcs} PARENT_SCOPE)
  set(_incs ${_incs} PARENT_SCOPE)
endfunction()

# kg_verilate(<static-lib-target> TOP <module> PREFIX <Vname>
#             (MANIFEST <rtl/...f> | SOURCES <v files...>) [ARGS <extra verilator args...>])
# Verilates <module> into <static-lib-target> at KG_VERILATED_OPT (-O3), with -Wall (so a lint
# warning fails configure), tracing when KG_TRACE is on, and links the shared
# runtime instead of a private copy. MANIFEST takes the sources and include
# folders from an RTL manifest (kgmac's own RTL); SOURCES is for test benches.
function(kg_verilate target)
  cmake_parse_arguments(KV "" "TOP;PREFIX;MANIFEST" "SOURCES;ARGS" ${ARGN})
  set(_trace)
  if(KG_TRACE)
    set(_trace TRACE_FST)
  endif()
  set(_srcs ${KV_SOURCES})
  set(_incargs)
  foreach(_d ${KG_RTL_INCLUDE_FIRST})
    list(APPEND _incargs -I${_d})
  endforeach()
  if(KV_MANIFEST)
    kg_rtl_manifest(${KV_MANIFEST} _msrcs _mincs)
    list(APPEND _srcs ${_msrcs})
    foreach(_d ${_mincs})
      list(APPEND _incargs -I${_d})
    endforeach()
  endif()
  verilate(${target} ${_trace}
    SOURCES ${_srcs}
    TOP_MODULE ${KV_TOP}
    PREFIX ${KV_PREFIX}
    OPT_FAST ${KG_VERILATED_OPT} OPT_SLOW -O1 OPT_GLOBAL ${KG_VERILATED_OPT}
    VERILATOR_ARGS ${KG_VERILATOR_WARN} ${_incargs} ${KV_ARGS})
  get_target_property(_srcs ${target} SOURCES)
  list(FILTER _srcs EXCLUDE REGEX "^${VERILATOR_ROOT}/include/")
  set_property(TARGET ${target} PROPERTY SOURCES ${_srcs})
  target_link_libraries(${target} PUBLIC kg_verilated_rt)
endfunction()
