# The ML attacks of the attack lab (fine-tuning thief, FGSM, PGD): the
# library kgattack_ml. Included from host/attack/CMakeLists.txt, which
# links kgattack to it; the CLI front-ends are host/cli/attack_ml_cli.c.
add_library(kgattack_ml STATIC
  ${CMAKE_CURRENT_LIST_DIR}/attack_finetune.c
  ${CMAKE_CURRENT_LIST_DIR}/attack_adv.c)
target_include_directories(kgattack_ml PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include)
# kgml_nn.h (the trainer's private kernels and PRNG) is reached on purpose.
target_include_directories(kgattack_ml PRIVATE ${PROJECT_SOURCE_DIR}/host/ml)
target_link_libraries(kgattack_ml PUBLIC kgml kgmfmt kgmac PRIVATE kgaes kgpack m)
target_compile_options(kgattack_ml PRIVATE ${KG_C_WARN})
kg_sanitize(kgattack_ml)
