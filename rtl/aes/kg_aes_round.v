`default_nettype none
// kg_aes_round: one AES encryption round, combinational (FIPS-197 5.1).
//
//   mid = AddRoundKey(MixColumns(ShiftRows(SubBytes(st))), rk)   rounds 1..Nr-1
//   fin = AddRoundKey(ShiftRows(SubBytes(st)), rk)               round Nr
//
// Byte n of a 128-bit value sits at bits [127-8n -: 8] (the first byte in
// the MSBs) and is state byte s(n mod 4, n / 4), as in FIPS-197 3.4.
// The 16 S-boxes are LUT logic (kg_aes_sbox EBR = 0).
module kg_aes_round (
  input  wire [127:0] st,
  input  wire [127:0] rk,
  output wire [127:0] mid,
  output wire [127:0] fin
);

  wire [127:0] sb;
  genvar g;
  generate
    for (g = 0; g < 16; g = g + 1) begin : g_sbox
      kg_aes_sbox #(.EBR(0)) u_sbox (
        .clk (1'b0),
        .en  (1'b0),
        .a   (st[127-8*g -: 8]),
        .y   (sb[127-8*g -: 8])
      );
    end
  endgenerate

  // ShiftRows: s'(r, c) = s(r, (c + r) mod 4).
  wire [127:0] sr;
  genvar r, c;
  generate
    for (c = 0; c < 4; c = c + 1) begin : g_sr_col
      for (r = 0; r < 4; r = r + 1) begin : g_sr_row
        assign sr[127-8*(r+4*c) -: 8] = sb[127-8*(r+4*(((c+r)%4))) -: 8];
      end
    end
  endgenerate

  // MixColumns: each column times {03}x^3 + {01}x^2 + {01}x + {02}.
  function [7:0] xtime;
    input [7:0] a;
    begin
      xtime = {a[6:0], 1'b0} ^ (a[7] ? 8'h1b : 8'h00);
    end
  endfunction

  function [31:0] mix_col;
    input [31:0] col;                         // a0 in the MSBs
    reg [7:0] a0, a1, a2, a3, all;
    begin
      {a0, a1, a2, a3} = col;
      all = a0 ^ a1 ^ a2 ^ a3;
      mix_col = {a0 ^ all ^ xtime(a0 ^ a1), a1 ^ all ^ xtime(a1 ^ a2),
                 a2 ^ all ^ xtime(a2 ^ a3), a3 ^ all ^ xtime(a3 ^ a0)};
    end
  endfunction

  wire [127:0] mc = {mix_col(sr[127:96]), mix_col(sr[95:64]),
                     mix_col(sr[63:32]), mix_col(sr[31:0])};

  assign mid = mc ^ rk;
  assign fin = sr ^ rk;

endmodule
`default_nettype wire
