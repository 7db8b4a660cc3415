`default_nettype none
// kg_aes_keyexp: streams the extended AES key schedule (docs/spec.md 9.1).
//
// Runs the FIPS-197 5.2 key-expansion recurrence for Nk = 4, 6 or 8
// (key_len 0, 1, 2; 3 is reserved and behaves as 2), unbounded: beyond the
// standard 4(Nr+1) words Rcon keeps going as successive powers of x in
// GF(2^8) (01 02 04 ... 80 1b 36 6c d8 ab 4d 9a 2f ..., period 51).
//
// State: the last Nk words (`win`, newest first), the index of the next word
// modulo Nk (`phase`) and the Rcon byte for the next i with i mod Nk == 0.
// Each `step` produces WORDS new words w[i .. i+WORDS-1]; `words` always
// shows the newest WORDS words, oldest at the bottom:
//   words[32j+31 : 32j] = w[i-WORDS+j], first byte (k[4i]) in the MSBs.
// After `load_key`, `words` shows the last WORDS key words; the first step
// then produces w[Nk .. Nk+WORDS-1], i.e. keystream bytes ks[0 .. 4*WORDS-1].
//
// One SubWord (4 S-boxes) serves all WORDS words of a step: SubWord is due
// at i mod Nk == 0 and, for Nk = 8, at i mod 8 == 4, so for WORDS <= 4 at
// most one of any 4 consecutive words needs it.  Its input w[i+j-1] is
// computed by a SubWord-free chain (the words before it in the step need
// none), so there is no combinational loop.
//
// The whole state is visible on `state_out` and can be written back with
// `restore` (checkpoints; same key and key_len assumed).  Priority:
// reset / zeroize > load_key > restore > step.
module kg_aes_keyexp #(
  parameter WORDS = 4                       // words per step: 1, 2 or 4
) (
  input  wire                 clk,
  input  wire                 reset_n,
  input  wire                 zeroize,      // clear all key-derived state
  input  wire                 load_key,     // restart from key
  input  wire [255:0]         key,          // k[0] in bits 255:248
  input  wire [1:0]           key_len,      // 0: 128, 1: 192, 2: 256 bits
  input  wire                 restore,      // state <= state_in
  input  wire [STATE_W-1:0]   state_in,
  input  wire                 step,         // produce the next WORDS words
  output wire [STATE_W-1:0]   state_out,
  output wire [WORDS*32-1:0]  words
);

  localparam STATE_W = 8 * 32 + 3 + 8;      // {rcon, phase, win}

  generate
    if (WORDS != 1 && WORDS != 2 && WORDS != 4) begin : g_bad_words
      kg_aes_keyexp_WORDS_must_be_1_2_or_4 u_bad ();
    end
  endgenerate

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [255:0] win_reg;                      // win k = w[i-1-k] at [32k+31:32k]
  reg [255:0] win_new;
  reg [2:0]   phase_reg;                    // i mod Nk
  reg [2:0]   phase_new;
  reg [7:0]   rcon_reg;
  reg [7:0]   rcon_new;
  reg [1:0]   kl_reg;                       // key_len of the loaded key
  reg         state_we;
  reg         kl_we;

  always @(posedge clk) begin
    if (!reset_n) begin
      win_reg   <= 256'h0;
      phase_reg <= 3'd0;
      rcon_reg  <= 8'h00;
      kl_reg    <= 2'd0;
    end else begin
      if (state_we) begin
        win_reg   <= win_new;
        phase_reg <= phase_new;
        rcon_reg  <= rcon_new;
      end
      if (kl_we)
        kl_reg <= zeroize ? 2'd0 : key_len;
    end
  end

  assign state_out = {rcon_reg, phase_reg, win_reg};

  genvar gj;
  generate
    for (gj = 0; gj < WORDS; gj = gj + 1) begin : g_words
      assign words[32*gj +: 32] = win_reg[32*(WORDS-1-gj) +: 32];
    end
  endgenerate

  //----------------------------------------------------------------
  // Step logic.
  //----------------------------------------------------------------
  wire [3:0] nk = (kl_reg == 2'd0) ? 4'd4 : (kl_reg == 2'd1) ? 4'd6 : 4'd8;

  // Oldest words needed: w[i+j-Nk] = win[Nk-1-j].
  reg [WORDS*32-1:0] oldw;
  reg [31:0]         sub_in;
  reg                has_sub;
  reg                sub_rot;
  reg [1:0]          sub_at;
  reg [31:0]         q;
  reg [3:0]          pos;
  integer            j;

  always @* begin : plain_chain
    oldw    = {WORDS*32{1'b0}};
    sub_in  = win_reg[31:0];
    has_sub = 1'b0;
    sub_rot = 1'b0;
    sub_at  = 2'd0;
    q       = win_reg[31:0];                 // w[i-1]
    for (j = 0; j < WORDS; j = j + 1) begin
      case (kl_reg)
        2'd0:    oldw[32*j +: 32] = win_reg[32*(3-j) +: 32];
        2'd1:    oldw[32*j +: 32] = win_reg[32*(5-j) +: 32];
        default: oldw[32*j +: 32] = win_reg[32*(7-j) +: 32];
      endcase
      pos = {1'b0, phase_reg} + j[3:0];
      if (pos >= nk)
        pos = pos - nk;
      if (pos == 4'd0 || (nk == 4'd8 && pos == 4'd4)) begin
        has_sub = 1'b1;
        sub_rot = (pos == 4'd0);
        sub_at  = j[1:0];
        sub_in  = q;                          // w[i+j-1], no SubWord before j
      end
      q = oldw[32*j +: 32] ^ q;
    end
  end

  wire [31:0] sub_out;
  genvar gb;
  generate
    for (gb = 0; gb < 4; gb = gb + 1) begin : g_subword
      kg_aes_sbox #(.EBR(0)) u_sbox (
        .clk (clk),
        .en  (1'b0),
        .a   (sub_in[8*gb +: 8]),
        .y   (sub_out[8*gb +: 8])
      );
    end
  endgenerate

  wire [31:0] sub_term = sub_rot ? ({sub_out[23:0], sub_out[31:24]} ^ {rcon_reg, 24'h0})
                                 : sub_out;

  reg [WORDS*32-1:0] neww;
  reg [31:0]         prev;
  reg [31:0]         temp;
  reg [3:0]          ph_sum;
  integer            m;

  always @* begin : step_logic
    prev = win_reg[31:0];
    neww = {WORDS*32{1'b0}};
    for (m = 0; m < WORDS; m = m + 1) begin
      temp = (has_sub && sub_at == m[1:0]) ? sub_term : prev;
      neww[32*m +: 32] = oldw[32*m +: 32] ^ temp;
      prev = neww[32*m +: 32];
    end

    ph_sum = {1'b0, phase_reg} + WORDS[3:0];
    if (ph_sum >= nk)
      ph_sum = ph_sum - nk;

    state_we  = 1'b0;
    kl_we     = 1'b0;
    win_new   = win_reg;
    phase_new = phase_reg;
    rcon_new  = rcon_reg;

    if (zeroize) begin
      state_we  = 1'b1;
      kl_we     = 1'b1;
      win_new   = 256'h0;
      phase_new = 3'd0;
      rcon_new  = 8'h00;
    end else if (load_key) begin
      state_we  = 1'b1;
      kl_we     = 1'b1;
      // win k = w[Nk-1-k]: key words newest first (w[0] = key[255:224]).
      case (key_len)
        2'd0:    win_new = {128'h0, key[255:128]};
        2'd1:    win_new = {64'h0, key[255:64]};
        default: win_new = key;
      endcase
      phase_new = 3'd0;
      rcon_new  = 8'h01;
    end else if (restore) begin
      state_we  = 1'b1;
      {rcon_new, phase_new, win_new} = state_in;
    end else if (step) begin
      state_we  = 1'b1;
      win_new   = {win_reg[255-32*WORDS:0], reverse_words(neww)};
      phase_new = ph_sum[2:0];
      rcon_new  = (has_sub && sub_rot) ? xtime(rcon_reg) : rcon_reg;
    end
  end

  // Multiplication by x modulo x^8 + x^4 + x^3 + x + 1.
  function [7:0] xtime;
    input [7:0] a;
    begin
      xtime = {a[6:0], 1'b0} ^ (a[7] ? 8'h1b : 8'h00);
    end
  endfunction

  // neww holds word m (oldest first) at [32m+31:32m]; the window wants the
  // newest word lowest.
  function [WORDS*32-1:0] reverse_words;
    input [WORDS*32-1:0] v;
    integer r;
    begin
      for (r = 0; r < WORDS; r = r + 1)
        reverse_words[32*r +: 32] = v[32*(WORDS-1-r) +: 32];
    end
  endfunction

endmodule
`default_nettype wire
