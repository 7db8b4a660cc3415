# kgbackend: the interface both simulated back-ends implement
# (include/kg_backend.h). Included by sim/kgsim and sim/model, whose
# libraries link it PUBLIC; the guard defines it once.
include_guard(GLOBAL)
add_library(kgbackend INTERFACE)
target_include_directories(kgbackend INTERFACE ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(kgbackend INTERFACE kghal)
