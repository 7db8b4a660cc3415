# cmake -DAR=<ar> -DMRI=<script> -P kg_merge_archive.cmake
# Runs `ar -M` on an MRI script (CREATE / ADDLIB ... / SAVE) to merge static
# archives into one; fails on any ar error.
execute_process(COMMAND ${AR} -M INPUT_FILE ${MRI} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kgmac: ar -M ${MRI} failed (${rc}): ${err}")
endif()
