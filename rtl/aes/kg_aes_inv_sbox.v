`default_nettype none
// kg_aes_inv_sbox: the AES inverse S-box (FIPS-197 5.3.2, Figure 14).
// A kg_aes_sbox with INVERSE = 1; EBR selects LUT logic (0, combinational)
// or an iCE40 block-RAM ROM (1, registered output, read enable en) exactly
// as documented there.
module kg_aes_inv_sbox #(
  parameter EBR = 0
) (
  input  wire       clk,
  input  wire       en,
  input  wire [7:0] a,
  output wire [7:0] y
);

  kg_aes_sbox #(.EBR(EBR), .INVERSE(1)) u_sbox (
    .clk (clk),
    .en  (en),
    .a   (a),
    .y   (y)
  );

endmodule
`default_nettype wire
