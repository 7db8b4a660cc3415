// kg_weight_decrypt: the AES weight decrypt unit and its cipher parts.
rtl/aes/kg_aes_sbox.v
rtl/aes/kg_aes_inv_sbox.v
rtl/aes/kg_aes_keyexp.v
rtl/aes/kg_aes_round.v
rtl/aes/kg_aes_cipher.v
rtl/aes/kg_weight_decrypt.v
