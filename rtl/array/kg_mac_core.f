// kg_mac_core: the PE array with its accumulator buffer.
-f rtl/array/kg_array.f
rtl/array/kg_accbuf.v
rtl/array/kg_mac_core.v
