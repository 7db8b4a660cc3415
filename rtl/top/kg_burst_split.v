//======================================================================
// kg_burst_split.v
// ----------------
// Beats of the next AXI burst for a run of `left` 16-byte beats starting
// at the 16-byte aligned address `addr`: at most 256 beats, and never
// across a 4 KiB boundary. Combinational.
//======================================================================
`default_nettype none

module kg_burst_split (
  input  wire [31 : 0] addr,
  input  wire [31 : 0] left,      // beats still to request (>= 1)
  output wire [8 : 0]  beats      // 1..256
);

  wire [8 : 0] to_page = 9'd256 - {1'b0, addr[11:4]};   // 1..256
  wire [8 : 0] cap     = (left > 32'd256) ? 9'd256 : left[8:0];
  assign beats = (cap < to_page) ? cap : to_page;

  wire unused_addr = ^{addr[31:12], addr[3:0]};

endmodule // kg_burst_split
`default_nettype wire
