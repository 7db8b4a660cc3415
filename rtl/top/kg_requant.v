//======================================================================
// kg_requant.v
// ------------
// Requantization of one int32 accumulator (docs/spec.md 4; rule fixed in
// common/ref/include/kgmac/ref_layer.h):
//   x = acc + bias (wraps);  y = (x * mult + 2^(shift-1)) >>> shift;
//   saturate to int8; optional ReLU.
// mult in [0, 2^31), shift in [1, 62]. Combinational.
//======================================================================
`default_nettype none

module kg_requant (
  input  wire [31 : 0] acc,
  input  wire [31 : 0] bias,
  input  wire [31 : 0] mult,
  input  wire [5 : 0]  shift,
  input  wire          relu,
  output wire [7 : 0]  q
);

  wire signed [31 : 0] x    = $signed(acc + bias);
  wire signed [63 : 0] prod = $signed({{32{x[31]}}, x}) * $signed({32'h0, mult});
  wire signed [63 : 0] rnd  = $signed(64'h1 << (shift - 6'd1));
  wire signed [63 : 0] sum  = prod + rnd;
  wire signed [63 : 0] y    = sum >>> shift;

  wire over  = (y > 64'sd127);
  wire under = (y < -64'sd128);
  wire [7 : 0] sat = over ? 8'h7f : (under ? 8'h80 : y[7:0]);
  assign q = (relu && sat[7]) ? 8'h00 : sat;

endmodule // kg_requant
`default_nettype wire
