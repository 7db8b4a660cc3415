//======================================================================
// kg_divu.v
// ---------
// Sequential unsigned divider: quotient and remainder of a 32-bit dividend
// by a 16-bit divisor, one quotient bit per cycle (32 cycles). Divisor 0
// gives an all-ones quotient. kg_layer_ctrl uses one to size the passes and
// one for the input mask's K mod GROUP check.
//======================================================================
`default_nettype none

module kg_divu (
  input  wire          clk,
  input  wire          reset_n,
  input  wire          start,
  input  wire [31 : 0] dividend,
  input  wire [15 : 0] divisor,
  output wire          done,
  output wire [31 : 0] quotient,
  output wire [15 : 0] remainder
);

  reg [31 : 0] q_reg;
  reg [15 : 0] r_reg;      // remainder < divisor
  reg [5 : 0]  n_reg;
  reg          busy_reg;
  reg          done_reg;
  reg [15 : 0] d_reg;

  wire [16 : 0] r_sh   = {r_reg, q_reg[31]};
  wire [16 : 0] r_sub  = r_sh - {1'b0, d_reg};
  wire          fits   = (r_sh >= {1'b0, d_reg});

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      q_reg    <= 32'h0;
      r_reg    <= 16'h0;
      n_reg    <= 6'h0;
      busy_reg <= 1'b0;
      done_reg <= 1'b0;
      d_reg    <= 16'h0;
    end else begin
      done_reg <= 1'b0;
      if (start) begin
        q_reg    <= dividend;
        r_reg    <= 16'h0;
        n_reg    <= 6'd32;
        d_reg    <= divisor;
        busy_reg <= 1'b1;
      end else if (busy_reg) begin
        r_reg <= fits ? r_sub[15:0] : r_sh[15:0];
        q_reg <= {q_reg[30:0], fits};
        n_reg <= n_reg - 6'd1;
        if (n_reg == 6'd1) begin
          busy_reg <= 1'b0;
          done_reg <= 1'b1;
        end
      end
    end
  end

  wire unused_sub = r_sub[16];

  assign done     = done_reg;
  assign quotient  = q_reg;
  assign remainder = r_reg;

endmodule // kg_divu
`default_nettype wire
