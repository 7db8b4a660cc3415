//======================================================================
// kg_pe.v
// -------
// One processing element of the weight-stationary systolic array.
//
// Each PE holds one int8 weight in an active register and a second one in
// a shadow register, so that the next weight tile loads while the current
// tile computes. An activation enters from the left, is multiplied by the
// active weight into an int16 product, and the product is added to the
// int32 partial sum that enters from above. Activation and partial sum
// leave registered to the right and below.
//
// swap_in travels with the activation. When a slot carries swap_in=1, the
// PE computes that slot with the old weight and copies shadow to active
// on the same clock edge, so the next slot sees the new tile.
//
// Key gating (HPNN sign key):
//  KEY_IN_PE = 1: the product is conditionally negated here, as
//                 (p XOR {32{k}}) + k, with k entering as the adder's
//                 carry-in.
//  KEY_IN_PE = 0: the key is folded into the weight as it loads
//                 (see kg_array) and this PE has no key logic.
//
// Accumulation wraps modulo 2^32 (two's complement), like the C reference.
//======================================================================
`default_nettype none

module kg_pe #(
  parameter KEY_IN_PE = 0
) (
  input  wire               clk,
  input  wire               reset_n,

  input  wire               adv,        // pipeline advance (global stall when 0)
  input  wire               key_bit,    // used only when KEY_IN_PE = 1

  input  wire               wload,      // write shadow weight
  input  wire [7 : 0]       wload_data,

  input  wire [7 : 0]       act_in,
  input  wire               swap_in,
  input  wire [31 : 0]      psum_in,

  output wire [7 : 0]       act_out,
  output wire               swap_out,
  output wire [31 : 0]      psum_out
);

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [7 : 0]  act_reg;
  reg          swap_reg;
  reg [31 : 0] psum_reg;
  reg [31 : 0] psum_new;
  reg [7 : 0]  wact_reg;      // active weight
  reg          wact_we;
  reg [7 : 0]  wshd_reg;      // shadow weight

  assign act_out  = act_reg;
  assign swap_out = swap_reg;
  assign psum_out = psum_reg;

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      act_reg  <= 8'h0;
      swap_reg <= 1'b0;
      psum_reg <= 32'h0;
      wact_reg <= 8'h0;
      wshd_reg <= 8'h0;
    end else begin
      if (adv) begin
        act_reg  <= act_in;
        swap_reg <= swap_in;
        psum_reg <= psum_new;
      end
      if (wact_we)
        wact_reg <= wshd_reg;
      if (wload)
        wshd_reg <= wload_data;
    end
  end

  //----------------------------------------------------------------
  // mac: int8 x int8 -> int16, optional sign flip, + int32.
  //----------------------------------------------------------------
  wire signed [15 : 0] prod = $signed(act_in) * $signed(wact_reg);
  wire        [31 : 0] prod_ext = {{16{prod[15]}}, prod};

  generate
    if (KEY_IN_PE != 0) begin : g_key_pe
      always @* begin : mac
        psum_new = psum_in + (prod_ext ^ {32{key_bit}}) + {31'h0, key_bit};
        wact_we  = adv & swap_in;
      end
    end else begin : g_key_none
      always @* begin : mac
        psum_new = psum_in + prod_ext;
        wact_we  = adv & swap_in;
      end
      // key_bit is intentionally unused in this configuration.
      wire unused_key = key_bit;
    end
  endgenerate

endmodule // kg_pe
`default_nettype wire
