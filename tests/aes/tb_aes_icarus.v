`timescale 1ns/1ps
`default_nettype none
// Icarus Verilog cross-check (second simulator): FIPS-197 Appendix C through
// kg_aes_cipher (iterative and pipelined), and the Deep-Lock check value
// ks[0..3] = a0 fa fe 17 plus the SP 800-38A F.5.1 first block through
// kg_weight_decrypt (Deep-Lock with EBR S-boxes, CTR).  Prints "ALL PASS".
module tb_aes_icarus;
  reg clk = 1'b0;
  always #5 clk = ~clk;
  reg reset_n = 1'b0;
  integer errors = 0;

  // ---- ciphers ----------------------------------------------------------
  reg  [255:0] key;
  reg  [1:0]   key_len;
  reg          key_load = 1'b0;
  reg          in_valid = 1'b0;
  reg  [127:0] in_block;
  wire         kr_i, kr_p, ir_i, ir_p, ov_i, ov_p;
  wire [127:0] ob_i, ob_p;
  wire         ot_i, ot_p;

  kg_aes_cipher #(.PIPELINED(0)) u_iter (
    .clk(clk), .reset_n(reset_n), .zeroize(1'b0), .key(key), .key_len(key_len),
    .key_load(key_load), .key_ready(kr_i), .in_valid(in_valid), .in_ready(ir_i),
    .in_block(in_block), .in_tag(1'b0), .out_valid(ov_i), .out_block(ob_i), .out_tag(ot_i));
  kg_aes_cipher #(.PIPELINED(1)) u_pipe (
    .clk(clk), .reset_n(reset_n), .zeroize(1'b0), .key(key), .key_len(key_len),
    .key_load(key_load), .key_ready(kr_p), .in_valid(in_valid), .in_ready(ir_p),
    .in_block(in_block), .in_tag(1'b0), .out_valid(ov_p), .out_block(ob_p), .out_tag(ot_p));

  task cipher_vec(input [255:0] k, input [1:0] kl, input [127:0] pt, input [127:0] ct);
    integer c;
    reg got_i, got_p;
    begin
      key = k; key_len = kl;
      @(negedge clk) key_load = 1'b1;
      @(negedge clk) key_load = 1'b0;
      c = 0;
      while (!(kr_i && kr_p) && c < 100) begin @(negedge clk); c = c + 1; end
      in_block = pt; in_valid = 1'b1;
      @(negedge clk) in_valid = 1'b0;          // both accept (idle, key ready)
      got_i = 1'b0; got_p = 1'b0;
      for (c = 0; c < 40; c = c + 1) begin
        if (ov_i) begin
          got_i = 1'b1;
          if (ob_i !== ct) begin errors = errors + 1; $display("FAIL iterative kl=%0d %h", kl, ob_i); end
        end
        if (ov_p) begin
          got_p = 1'b1;
          if (ob_p !== ct) begin errors = errors + 1; $display("FAIL pipelined kl=%0d %h", kl, ob_p); end
        end
        @(negedge clk);
      end
      if (!got_i || !got_p) begin errors = errors + 1; $display("FAIL no output kl=%0d", kl); end
    end
  endtask

  // ---- decrypt unit -----------------------------------------------------
  reg  [1:0]   mode = 2'd0;
  reg  [95:0]  nonce = 96'h0;
  reg          start = 1'b0;
  reg  [35:0]  start_pos = 36'h0;
  reg          d_in_valid = 1'b0;
  reg  [127:0] d_in_data = 128'h0;
  wire         d_key_ready, d_seeking, d_cfg_err, d_ks_stall, d_in_ready, d_out_valid, d_kcv_valid;
  wire [127:0] d_out_data;
  wire [63:0]  d_kcv;

  kg_weight_decrypt #(.LANES(16), .CIPHER_PIPELINED(0), .SBOX_EBR(1)) u_wd (
    .clk(clk), .reset_n(reset_n), .mode(mode), .key(key), .key_len(key_len), .nonce(nonce),
    .key_load(key_load), .key_ready(d_key_ready), .zeroize(1'b0),
    .start(start), .start_pos(start_pos), .start_save(1'b0), .seeking(d_seeking),
    .cfg_err(d_cfg_err), .ks_stall(d_ks_stall),
    .in_valid(d_in_valid), .in_ready(d_in_ready), .in_data(d_in_data),
    .out_valid(d_out_valid), .out_ready(1'b1), .out_data(d_out_data),
    .kcv_start(1'b0), .blk_sel(1'b0), .blk_in(128'h0), .kcv_valid(d_kcv_valid), .kcv(d_kcv),
    .blk_out());

  // One beat through the unit; returns the output beat (lane i = byte i).
  task wd_beat(input [1:0] m, input [35:0] pos, input [127:0] beat, output [127:0] res);
    integer c;
    begin
      mode = m; start_pos = pos;
      @(negedge clk) start = 1'b1;
      @(negedge clk) start = 1'b0;
      d_in_data = beat; d_in_valid = 1'b1;
      c = 0;
      while (!d_in_ready && c < 200) begin @(negedge clk); c = c + 1; end
      @(negedge clk) d_in_valid = 1'b0;
      c = 0;
      while (!d_out_valid && c < 10) begin @(negedge clk); c = c + 1; end
      res = d_out_data;
    end
  endtask

  // Byte-reverse 16 bytes: FIPS order (byte 0 in the MSBs) <-> lane order.
  function [127:0] lanes;
    input [127:0] v;
    integer i;
    begin
      for (i = 0; i < 16; i = i + 1) lanes[8*i +: 8] = v[127-8*i -: 8];
    end
  endfunction

  reg [127:0] res;
  initial begin
    key = 256'h0; key_len = 2'd0; in_block = 128'h0;
    repeat (3) @(negedge clk);
    reset_n = 1'b1;
    cipher_vec({128'h000102030405060708090a0b0c0d0e0f, 128'h0}, 2'd0,
               128'h00112233445566778899aabbccddeeff, 128'h69c4e0d86a7b0430d8cdb78070b4c55a);
    cipher_vec({192'h000102030405060708090a0b0c0d0e0f1011121314151617, 64'h0}, 2'd1,
               128'h00112233445566778899aabbccddeeff, 128'hdda97ca4864cdfe06eaf70a0ec0d7191);
    cipher_vec(256'h000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f, 2'd2,
               128'h00112233445566778899aabbccddeeff, 128'h8ea2b7ca516745bfeafc49904b496089);

    // Deep-Lock: decrypting bytes 63 (= S(00)) gives ks itself: w[4..7] of A.1.
    cipher_vec({128'h2b7e151628aed2a6abf7158809cf4f3c, 128'h0}, 2'd0,
               128'h3243f6a8885a308d313198a2e0370734, 128'h3925841d02dc09fbdc118597196a0b32);
    wd_beat(2'd1, 36'd0, {16{8'h63}}, res);
    if (lanes(res) !== 128'ha0fafe1788542cb123a339392a6c7605) begin
      errors = errors + 1; $display("FAIL Deep-Lock ks[0..15] %h", lanes(res));
    end
    // CTR: SP 800-38A F.5.1, block 1 (counter f0..fb | fcfdfeff).
    nonce = 96'hf0f1f2f3f4f5f6f7f8f9fafb;
    wd_beat(2'd2, {32'hfcfdfeff, 4'h0}, lanes(128'h874d6191b620e3261bef6864990db6ce), res);
    if (lanes(res) !== 128'h6bc1bee22e409f96e93d7e117393172a) begin
      errors = errors + 1; $display("FAIL CTR F.5.1 block 1 %h", lanes(res));
    end

    if (errors == 0) $display("ALL PASS");
    else $display("FAILED: %0d errors", errors);
    $finish;
  end
endmodule
`default_nettype wire
