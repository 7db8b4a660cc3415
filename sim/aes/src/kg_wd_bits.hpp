// Packing byte buffers into Verilated port types (IData, QData, VlWide).
#pragma once

#include <cstddef>
#include <cstdint>

#include "verilated.h"

namespace kgaes {
namespace bits {

// Byte i of buf at bits [8i+7 : 8i] (lowest byte lowest).
inline void put_le(IData &p, const uint8_t *b, size_t n) {
    p = 0;
    for (size_t i = 0; i < n; i++) p |= (IData)b[i] << (8 * i);
}
inline void put_le(QData &p, const uint8_t *b, size_t n) {
    p = 0;
    for (size_t i = 0; i < n; i++) p |= (QData)b[i] << (8 * i);
}
template <std::size_t W>
inline void put_le(VlWide<W> &p, const uint8_t *b, size_t n) {
    for (size_t w = 0; w < W; w++) p[w] = 0;
    for (size_t i = 0; i < n; i++) p[i / 4] |= (EData)b[i] << (8 * (i % 4));
}
inline void get_le(const IData &p, uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(p >> (8 * i));
}
inline void get_le(const QData &p, uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(p >> (8 * i));
}
template <std::size_t W>
inline void get_le(const VlWide<W> &p, uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(p[i / 4] >> (8 * (i % 4)));
}

// Byte 0 of buf in the most significant byte of an n-byte port.
template <class P>
inline void put_be(P &p, const uint8_t *b, size_t n) {
    uint8_t r[32];
    for (size_t i = 0; i < n; i++) r[i] = b[n - 1 - i];
    put_le(p, r, n);
}
template <class P>
inline void get_be(const P &p, uint8_t *b, size_t n) {
    uint8_t r[32];
    get_le(p, r, n);
    for (size_t i = 0; i < n; i++) b[i] = r[n - 1 - i];
}

}  // namespace bits
}  // namespace kgaes
