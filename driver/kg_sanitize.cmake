# Sanitizer and fuzzer instrumentation for kgmac's host-side C code.
#
#   -DKG_SANITIZE=ON  ASan + UBSan (-fno-sanitize-recover=all) on the targets
#                     passed to kg_sanitize(): the .kgm codec, the locker, the
#                     driver, the CLI and their tests. Use clang-14 or gcc.
#   -DKG_FUZZ=ON      the libFuzzer target tests/fuzz/kg_fuzz_kgm (clang only;
#                     it compiles the codec sources itself with
#                     -fsanitize=fuzzer,address,undefined).
#
# kg_sanitize(<target>...) is safe to call on any target whatever the
# options; with KG_SANITIZE OFF it does nothing. Static libraries pass the link
# flags on to whatever links them.
option(KG_SANITIZE "Build the driver, codec, locker, CLI and their tests with ASan+UBSan" OFF)
option(KG_FUZZ "Build the libFuzzer target (clang) with coverage on the codec" OFF)

function(kg_sanitize)
  set(cflags)
  set(lflags)
  if(NOT KG_SANITIZE)
    return()
  endif()
  list(APPEND cflags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  list(APPEND lflags -fsanitize=address,undefined)
  foreach(t ${ARGN})
    if(NOT TARGET ${t})
      continue()
    endif()
    get_target_property(type ${t} TYPE)
    target_compile_options(${t} PRIVATE ${cflags})
    if(type STREQUAL "STATIC_LIBRARY")
      target_link_options(${t} INTERFACE ${lflags})
    else()
      target_link_options(${t} PRIVATE ${lflags})
    endif()
  endforeach()
endfunction()
