# Tests of the ML attacks (finetune, fgsm/pgd), included from
# tests/attack/CMakeLists.txt. Each runs well under a minute on 2 cores.
add_executable(kg_test_attack_ml
  ${CMAKE_CURRENT_LIST_DIR}/test_finetune.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_adv.cpp)
target_link_libraries(kg_test_attack_ml PRIVATE kgattack_ml kglock kgmac kgml kgaes kgref
                      GTest::gtest_main)
target_compile_options(kg_test_attack_ml PRIVATE ${KG_CXX_WARN})
target_compile_definitions(kg_test_attack_ml PRIVATE KG_TEST_DATA_DIR="${KG_FMNIST_DIR}")
kg_sanitize(kg_test_attack_ml)
gtest_discover_tests(kg_test_attack_ml TEST_PREFIX "attack.ml." PROPERTIES TIMEOUT 120
                     LABELS attack DISCOVERY_TIMEOUT 60)
