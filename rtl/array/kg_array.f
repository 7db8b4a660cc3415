// kg_array: the systolic PE array. Paths are relative to the repository
// root; format (read by cmake/kg_verilator.cmake and scripts/rtl_files.sh):
// one file per line, +incdir+<dir>, -f <manifest>, // comments.
rtl/array/kg_pe.v
rtl/array/kg_array.v
