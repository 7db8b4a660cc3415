`default_nettype none
// kg_weight_decrypt: streaming weight decryption on the weight-load path.
//
// Modes (sampled at `start`):
//   0 bypass     out = in
//   1 Deep-Lock  out = InvS(in) ^ ks[p], ks = extended key schedule (docs/spec.md 9.1)
//   2 CTR        out = in ^ ks[p],      ks = AES_K(nonce || be32(p/16)) (docs/spec.md 9.2)
//   3 reserved   rejected (cfg_err)
//
// Streams: LANES bytes per beat, byte i of a beat in bits [8i+7:8i] (the
// lowest address in the lowest lane), valid/ready on both sides.  in_ready
// may depend combinationally on out_ready; out_* is registered (one cycle of
// latency, full throughput).  A burst starts with a `start` pulse carrying
// the byte position p of its first byte in the weight image (start_pos, a
// multiple of LANES; else cfg_err).  Beats then follow at p, p+LANES, ...
// until the next start; a burst of n bytes takes ceil(n/LANES) beats and the
// lanes past its end carry don't-care data.  No beat is accepted in the
// cycle of a start pulse.
//
// Keys: `key_load` latches key/key_len (and loads the cipher's round keys);
// key_ready rises when both are ready.  `zeroize` clears the key, the key
// schedule state and its checkpoint, the round keys, the keystream FIFO and
// registers, the KCV and the data-path registers.  key_load and zeroize end
// the current burst.
//
// Deep-Lock seek: a kg_aes_keyexp (LANES/4 words per step) holds the schedule
// position.  At `start` the unit restores the nearest of {key (position 0),
// checkpoint, current position} that is not past p and fast-forwards one
// beat (LANES keystream bytes) per cycle.  With `start_save` = 1 the state
// reached at p is saved as the checkpoint.  in_ready rises
//   2 + (p - base) / LANES cycles after the start pulse when the base is the
// checkpoint or the current position, 3 + p / LANES from the key (the key
// words precede ks[0]); see docs/aes.md.
// CTR seek: the keystream FIFO is flushed and blocks for the new position are
// issued at once; the first beat can pass Nr + 3 cycles (pipelined cipher)
// after the start pulse.
//
// One-block port (KCV, docs/spec.md 10, and the VERIFY sequencer of
// docs/spec.md 11.1): `kcv_start` latches a block and encrypts it with the
// unit's cipher and key: {nonce, ffffffff} (the KCV input) when blk_sel = 0,
// blk_in when blk_sel = 1.  kcv_valid rises (a level until the next
// kcv_start or key_load) with blk_out = the cipher output and kcv = its
// first 8 bytes (kcv[63:56] first).  Port blocks go before CTR blocks.
//
// Parameters: LANES 4, 8 or 16; CIPHER_PIPELINED 1 (one block per cycle) or
// 0 (iterative, one block per Nr+1 cycles); SBOX_EBR 1 puts the LANES data-path
// inverse S-boxes in iCE40 block RAM (the 4 key-schedule S-boxes stay in
// LUTs); CTR_EN 0 drops the cipher (Deep-Lock and bypass only, no KCV);
// CTR_DEPTH is the keystream FIFO depth in blocks (a power of two).  The
// pipelined cipher sustains one block per cycle only if CTR_DEPTH covers the
// credit round trip issue -> FIFO -> consume, Nr + 3 cycles (17 for AES-256):
// hence 32.
module kg_weight_decrypt #(
  parameter LANES            = 16,
  parameter CIPHER_PIPELINED = 1,
  parameter SBOX_EBR         = 0,
  parameter CTR_EN           = 1,
  parameter CTR_DEPTH        = (CIPHER_PIPELINED != 0) ? 32 : 2,
  parameter POS_W            = 36
) (
  input  wire               clk,
  input  wire               reset_n,

  input  wire [1:0]         mode,
  input  wire [255:0]       key,          // k[0] in bits 255:248
  input  wire [1:0]         key_len,      // 0: 128, 1: 192, 2: 256 bits
  input  wire [95:0]        nonce,        // nonce[95:88] is the first byte
  input  wire               key_load,
  output wire               key_ready,
  input  wire               zeroize,

  input  wire               start,
  input  wire [POS_W-1:0]   start_pos,
  input  wire               start_save,   // Deep-Lock: checkpoint the schedule at start_pos
  output wire               seeking,      // a start is being processed
  output wire               cfg_err,      // last start / kcv_start / key_load rejected
  output wire               ks_stall,     // in_valid waits for keystream

  input  wire               in_valid,
  output wire               in_ready,
  input  wire [LANES*8-1:0] in_data,
  output wire               out_valid,
  input  wire               out_ready,
  output wire [LANES*8-1:0] out_data,

  input  wire               kcv_start,
  input  wire               blk_sel,      // 1: encrypt blk_in, 0: the KCV block
  input  wire [127:0]       blk_in,
  output wire               kcv_valid,
  output wire [63:0]        kcv,
  output wire [127:0]       blk_out
);

  //----------------------------------------------------------------
  // Constants.
  //----------------------------------------------------------------
  localparam WORDS   = LANES / 4;
  localparam LG_L    = (LANES == 16) ? 4 : (LANES == 8) ? 3 : 2;
  localparam GPOS_W  = POS_W - LG_L + 1;     // schedule position in beats, +1
  localparam KST_W   = 8 * 32 + 3 + 8;       // kg_aes_keyexp state width
  localparam DPW     = (CTR_DEPTH <= 2) ? 1 : (CTR_DEPTH <= 4) ? 2 :
                       (CTR_DEPTH <= 8) ? 3 : (CTR_DEPTH <= 16) ? 4 :
                       (CTR_DEPTH <= 32) ? 5 : 6;
  localparam [7:0] DEPTH8    = CTR_DEPTH;
  localparam integer BPB    = 16 / LANES;           // beats per CTR block
  localparam [1:0] LAST_BIDX = BPB[1:0] - 2'd1;
  localparam [1:0] MODE_BYPASS = 2'd0;
  localparam [1:0] MODE_DL     = 2'd1;
  localparam [1:0] MODE_CTR    = 2'd2;

  generate
    if (LANES != 4 && LANES != 8 && LANES != 16) begin : g_bad_lanes
      kg_weight_decrypt_LANES_must_be_4_8_or_16 u_bad ();
    end
    if ((1 << DPW) != CTR_DEPTH) begin : g_bad_depth
      kg_weight_decrypt_CTR_DEPTH_must_be_a_power_of_2_up_to_64 u_bad ();
    end
    if (POS_W < 5 || POS_W > 36) begin : g_bad_pos
      kg_weight_decrypt_POS_W_must_be_5_to_36 u_bad ();
    end
  endgenerate

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [255:0]        key_reg;
  reg [1:0]          kl_reg;
  reg                key_we;
  reg                kinit_reg;               // keyexp load from key_reg due
  reg                kinit_new;
  reg                kok_reg;                 // keyexp holds this key
  reg                kok_new;

  reg [1:0]          mode_reg;
  reg                run_reg;                 // beats may flow
  reg                seek_reg;                // Deep-Lock fast-forward
  reg                ctl_we;
  reg                run_new;
  reg                seek_new;
  reg                err_reg;
  reg                err_new;
  reg                err_we;

  reg [GPOS_W-1:0]   kpos_reg;                // keyexp steps since key load
  reg [GPOS_W-1:0]   kpos_new;
  reg                kpos_we;
  reg [GPOS_W-1:0]   tgt_reg;                 // kpos at which the burst starts
  reg                tgt_we;
  reg                save_reg;
  reg                save_we;

  reg [KST_W-1:0]    ckst_reg;                // checkpoint: keyexp state
  reg [GPOS_W-1:0]   ckpos_reg;               //             and its kpos
  reg                ckv_reg;
  reg                ck_we;
  reg                ckv_new;
  reg                ckv_we;

  // Output stage.
  reg                sv_reg;
  reg [LANES*8-1:0]  raw_reg;
  reg [LANES*8-1:0]  ks_reg;
  reg                sdl_reg;                 // beat is Deep-Lock
  reg [LANES*8-1:0]  ks_beat;

  //----------------------------------------------------------------
  // Start decoding.
  //----------------------------------------------------------------
  wire mode_ok   = (mode == MODE_BYPASS) || (mode == MODE_DL) ||
                   (mode == MODE_CTR && CTR_EN != 0);
  wire aligned   = (start_pos[LG_L-1:0] == {LG_L{1'b0}});
  wire need_key  = (mode != MODE_BYPASS);
  wire start_ok  = start && mode_ok && aligned && (!need_key || key_ready);
  wire start_bad = start && !start_ok;

  wire [GPOS_W-1:0] start_tgt = {1'b0, start_pos[POS_W-1:LG_L]} + {{(GPOS_W-1){1'b0}}, 1'b1};

  // Deep-Lock seek base: nearest of {0, checkpoint, current} <= target.
  wire cur_ok  = (kpos_reg <= start_tgt);
  wire ck_ok   = ckv_reg && (ckpos_reg <= start_tgt) && (!cur_ok || ckpos_reg > kpos_reg);
  wire dl_start = start_ok && (mode == MODE_DL);

  //----------------------------------------------------------------
  // Key schedule (Deep-Lock keystream).
  //----------------------------------------------------------------
  wire                 ke_load    = kinit_reg || (dl_start && !ck_ok && !cur_ok);
  wire                 ke_restore = dl_start && ck_ok;
  wire                 fire;
  wire                 ke_step    = (seek_reg && (kpos_reg != tgt_reg)) ||
                                    (fire && mode_reg == MODE_DL);
  wire [KST_W-1:0]     ke_state;
  wire [WORDS*32-1:0]  ke_words;

  kg_aes_keyexp #(.WORDS(WORDS)) u_keyexp (
    .clk       (clk),
    .reset_n   (reset_n),
    .zeroize   (zeroize),
    .load_key  (ke_load && !zeroize && !key_load),
    .key       (key_reg),
    .key_len   (kl_reg),
    .restore   (ke_restore && !zeroize && !key_load),
    .state_in  (ckst_reg),
    .step      (ke_step && !zeroize && !key_load),
    .state_out (ke_state),
    .words     (ke_words)
  );

  //----------------------------------------------------------------
  // CTR keystream: cipher, FIFO, KCV.
  //----------------------------------------------------------------
  wire ctr_ready;                            // FIFO head valid
  wire [LANES*8-1:0] ctr_beat;
  wire ctr_pop_beat;                         // a CTR beat consumed
  wire c_key_ready;

  generate
    if (CTR_EN != 0) begin : g_ctr
      reg [127:0]     fifo_reg [0:CTR_DEPTH-1];
      reg [DPW-1:0]   wp_reg;
      reg [DPW-1:0]   rp_reg;
      reg [DPW:0]     cnt_reg;
      reg [4:0]       infl_reg;              // CTR blocks inside the cipher
      reg [4:0]       drop_reg;              // of which stale
      reg [31:0]      ctr_reg;               // next block index to issue
      reg [1:0]       bidx_reg;              // beat within the head block
      reg             cact_reg;              // CTR burst running
      reg [95:0]      nonce_reg;
      reg [127:0]     kblk_reg;
      reg             kpend_reg;
      reg             kval_reg;
      reg [127:0]     kout_reg;

      wire            c_in_ready;
      wire            c_out_valid;
      wire [127:0]    c_out_block;
      wire            c_out_tag;

      wire kcv_ok     = kcv_start && key_ready;
      wire issue_kcv  = kpend_reg && c_in_ready;
      wire [7:0] outstanding = {{(7-DPW){1'b0}}, cnt_reg} + {3'b000, infl_reg};
      wire credit     = (outstanding < DEPTH8);
      wire issue_ctr  = !issue_kcv && cact_reg && c_in_ready && credit;
      wire out_ctr    = c_out_valid && !c_out_tag;
      wire out_kcv    = c_out_valid && c_out_tag;
      wire ctr_start  = start_ok && (mode == MODE_CTR);
      wire stop       = key_load || zeroize || start;     // ends the CTR burst
      wire push       = out_ctr && (drop_reg == 5'd0) && !stop;
      wire pop        = ctr_pop_beat &&
                        (bidx_reg == LAST_BIDX);

      kg_aes_cipher #(.PIPELINED(CIPHER_PIPELINED), .TAG_W(1)) u_cipher (
        .clk       (clk),
        .reset_n   (reset_n),
        .zeroize   (zeroize),
        .key       (key),
        .key_len   (key_len),
        .key_load  (key_load),
        .key_ready (c_key_ready),
        .in_valid  (issue_kcv || issue_ctr),
        .in_ready  (c_in_ready),
        .in_block  (issue_kcv ? kblk_reg : {nonce_reg, ctr_reg}),
        .in_tag    (issue_kcv),
        .out_valid (c_out_valid),
        .out_block (c_out_block),
        .out_tag   (c_out_tag)
      );

      wire [4:0] infl_sum = infl_reg + {4'd0, issue_ctr} - {4'd0, out_ctr};
      wire [1:0] bidx_start = start_pos[3:2] >> (LG_L - 2);

      integer e;
      always @(posedge clk) begin
        if (!reset_n || zeroize) begin
          for (e = 0; e < CTR_DEPTH; e = e + 1)
            fifo_reg[e] <= 128'h0;
          wp_reg     <= {DPW{1'b0}};
          rp_reg     <= {DPW{1'b0}};
          cnt_reg    <= {(DPW+1){1'b0}};
          infl_reg   <= 5'd0;
          drop_reg   <= 5'd0;
          ctr_reg    <= 32'h0;
          bidx_reg   <= 2'd0;
          cact_reg   <= 1'b0;
          nonce_reg  <= 96'h0;
          kblk_reg   <= 128'h0;
          kpend_reg  <= 1'b0;
          kval_reg   <= 1'b0;
          kout_reg   <= 128'h0;
        end else begin
          // In-flight accounting.  The cipher drops everything on key_load.
          if (key_load) begin
            infl_reg <= 5'd0;
            drop_reg <= 5'd0;
          end else begin
            infl_reg <= infl_sum;
            if (start)
              drop_reg <= infl_sum;     // every block now in flight is stale
            else if (out_ctr && drop_reg != 5'd0)
              drop_reg <= drop_reg - 5'd1;
          end

          // FIFO.
          if (stop) begin
            wp_reg  <= {DPW{1'b0}};
            rp_reg  <= {DPW{1'b0}};
            cnt_reg <= {(DPW+1){1'b0}};
          end else begin
            if (push) begin
              fifo_reg[wp_reg] <= c_out_block;
              wp_reg <= wp_reg + {{(DPW-1){1'b0}}, 1'b1};
            end
            if (pop)
              rp_reg <= rp_reg + {{(DPW-1){1'b0}}, 1'b1};
            cnt_reg <= cnt_reg + {{DPW{1'b0}}, push} - {{DPW{1'b0}}, pop};
          end

          // Burst control.
          if (ctr_start) begin
            cact_reg  <= 1'b1;
            ctr_reg   <= start_pos[POS_W-1:4];
            bidx_reg  <= bidx_start;
            nonce_reg <= nonce;
          end else begin
            if (stop)
              cact_reg <= 1'b0;
            if (issue_ctr)
              ctr_reg <= ctr_reg + 32'd1;
            if (ctr_pop_beat)
              bidx_reg <= pop ? 2'd0 : bidx_reg + 2'd1;
          end

          // KCV.
          if (key_load) begin
            kpend_reg <= 1'b0;
            kval_reg  <= 1'b0;
            kout_reg  <= 128'h0;
          end else if (kcv_ok) begin
            kblk_reg   <= blk_sel ? blk_in : {nonce, 32'hffffffff};
            kpend_reg  <= 1'b1;
            kval_reg   <= 1'b0;
          end else begin
            if (issue_kcv)
              kpend_reg <= 1'b0;
            if (out_kcv) begin
              kval_reg <= 1'b1;
              kout_reg <= c_out_block;
            end
          end
        end
      end

      // Keystream for the beat at the head: block bytes bidx*LANES + i.
      // (LANES < 16 uses only the top LANES bytes of the shifted block.)
      /* verilator lint_off UNUSEDSIGNAL */
      wire [127:0] head_sh = fifo_reg[rp_reg] << ({5'd0, bidx_reg} * LANES * 8);
      /* verilator lint_on UNUSEDSIGNAL */
      genvar l;
      for (l = 0; l < LANES; l = l + 1) begin : g_lane
        assign ctr_beat[8*l +: 8] = head_sh[127-8*l -: 8];
      end

      assign ctr_ready = (cnt_reg != {(DPW+1){1'b0}});
      assign kcv_valid = kval_reg;
      assign kcv       = kout_reg[127:64];
      assign blk_out   = kout_reg;
    end else begin : g_no_ctr
      assign ctr_ready   = 1'b0;
      assign ctr_beat    = {LANES*8{1'b0}};
      assign c_key_ready = 1'b1;
      assign kcv_valid   = 1'b0;
      assign kcv         = 64'h0;
      assign blk_out     = 128'h0;
      wire _unused_no_ctr = &{1'b0, nonce, ctr_pop_beat, blk_sel, blk_in};
    end
  endgenerate

  //----------------------------------------------------------------
  // Control register update.
  //----------------------------------------------------------------
  always @(posedge clk) begin
    if (!reset_n) begin
      key_reg   <= 256'h0;
      kl_reg    <= 2'd0;
      kinit_reg <= 1'b0;
      kok_reg   <= 1'b0;
      mode_reg  <= MODE_BYPASS;
      run_reg   <= 1'b0;
      seek_reg  <= 1'b0;
      err_reg   <= 1'b0;
      kpos_reg  <= {GPOS_W{1'b0}};
      tgt_reg   <= {GPOS_W{1'b0}};
      save_reg  <= 1'b0;
      ckst_reg  <= {KST_W{1'b0}};
      ckpos_reg <= {GPOS_W{1'b0}};
      ckv_reg   <= 1'b0;
    end else begin
      if (key_we) begin
        key_reg <= zeroize ? 256'h0 : key;
        kl_reg  <= zeroize ? 2'd0 : key_len;
      end
      kinit_reg <= kinit_new;
      kok_reg   <= kok_new;
      if (ctl_we) begin
        run_reg  <= run_new;
        seek_reg <= seek_new;
      end
      if (start_ok)
        mode_reg <= mode;
      if (err_we)
        err_reg <= err_new;
      if (kpos_we)
        kpos_reg <= kpos_new;
      if (tgt_we)
        tgt_reg <= start_tgt;
      if (save_we)
        save_reg <= start_save;
      if (ck_we) begin
        ckst_reg  <= zeroize ? {KST_W{1'b0}} : ke_state;
        ckpos_reg <= zeroize ? {GPOS_W{1'b0}} : kpos_reg;
      end
      if (ckv_we)
        ckv_reg <= ckv_new;
    end
  end

  always @* begin : ctrl
    key_we    = 1'b0;
    kinit_new = 1'b0;
    kok_new   = kok_reg;
    ctl_we    = 1'b0;
    run_new   = run_reg;
    seek_new  = seek_reg;
    err_we    = 1'b0;
    err_new   = err_reg;
    kpos_we   = 1'b0;
    kpos_new  = kpos_reg;
    tgt_we    = 1'b0;
    save_we   = 1'b0;
    ck_we     = 1'b0;
    ckv_we    = 1'b0;
    ckv_new   = ckv_reg;

    if (zeroize || key_load) begin
      key_we    = 1'b1;
      kinit_new = key_load && !zeroize;
      kok_new   = 1'b0;
      ctl_we    = 1'b1;
      run_new   = 1'b0;
      seek_new  = 1'b0;
      err_we    = 1'b1;
      err_new   = key_load && !zeroize && (key_len == 2'd3);
      kpos_we   = 1'b1;
      kpos_new  = {GPOS_W{1'b0}};
      ck_we     = zeroize;
      ckv_we    = 1'b1;
      ckv_new   = 1'b0;
    end else begin
      if (kinit_reg) begin
        kok_new  = !err_reg;
        kpos_we  = 1'b1;
        kpos_new = {GPOS_W{1'b0}};
      end
      if (start_bad || (kcv_start && (CTR_EN == 0 || !key_ready))) begin
        err_we  = 1'b1;
        err_new = 1'b1;
      end
      if (start_bad) begin                  // a rejected start ends the burst
        ctl_we   = 1'b1;
        run_new  = 1'b0;
        seek_new = 1'b0;
      end
      if (start_ok) begin
        err_we  = 1'b1;
        err_new = 1'b0;
        ctl_we  = 1'b1;
        tgt_we  = 1'b1;
        save_we = 1'b1;
        if (mode == MODE_DL) begin
          run_new  = 1'b0;
          seek_new = 1'b1;
          kpos_we  = 1'b1;
          kpos_new = ck_ok ? ckpos_reg : cur_ok ? kpos_reg : {GPOS_W{1'b0}};
        end else begin
          run_new  = 1'b1;
          seek_new = 1'b0;
        end
      end else if (seek_reg) begin
        if (kpos_reg != tgt_reg) begin
          kpos_we  = 1'b1;
          kpos_new = kpos_reg + {{(GPOS_W-1){1'b0}}, 1'b1};
        end else begin
          ctl_we   = 1'b1;
          seek_new = 1'b0;
          run_new  = 1'b1;
          if (save_reg) begin
            ck_we   = 1'b1;
            ckv_we  = 1'b1;
            ckv_new = 1'b1;
          end
        end
      end else if (fire && mode_reg == MODE_DL) begin
        kpos_we  = 1'b1;
        kpos_new = kpos_reg + {{(GPOS_W-1){1'b0}}, 1'b1};
      end
    end
  end

  assign key_ready = kok_reg && c_key_ready;
  assign seeking   = seek_reg;
  assign cfg_err   = err_reg;

  //----------------------------------------------------------------
  // Stream data path.
  //----------------------------------------------------------------
  wire advance  = !sv_reg || out_ready;
  wire ks_avail = (mode_reg != MODE_CTR) || ctr_ready;
  assign in_ready     = run_reg && !start && advance && ks_avail;
  assign fire         = in_valid && in_ready;
  assign ctr_pop_beat = fire && (mode_reg == MODE_CTR);
  assign ks_stall     = in_valid && run_reg && advance && !ks_avail;

  genvar gl;
  generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_dl_lane
      always @* begin
        ks_beat[8*gl +: 8] = 8'h00;
        if (mode_reg == MODE_DL)
          ks_beat[8*gl +: 8] = ke_words[32*(gl/4) + 31 - 8*(gl%4) -: 8];
        else if (mode_reg == MODE_CTR)
          ks_beat[8*gl +: 8] = ctr_beat[8*gl +: 8];
      end
    end
  endgenerate

  always @(posedge clk) begin
    if (!reset_n || zeroize || key_load) begin
      sv_reg  <= 1'b0;
      raw_reg <= {LANES*8{1'b0}};
      ks_reg  <= {LANES*8{1'b0}};
      sdl_reg <= 1'b0;
    end else if (advance) begin
      sv_reg <= fire;
      if (fire) begin
        raw_reg <= in_data;
        ks_reg  <= ks_beat;
        sdl_reg <= (mode_reg == MODE_DL);
      end
    end
  end

  // Inverse S-boxes: on the registered input (LUT) or inside block RAM,
  // addressed by the incoming beat (EBR, read enabled on fire).
  wire [LANES*8-1:0] inv;
  generate
    for (gl = 0; gl < LANES; gl = gl + 1) begin : g_inv
      kg_aes_inv_sbox #(.EBR(SBOX_EBR)) u_inv (
        .clk (clk),
        .en  (fire),
        .a   ((SBOX_EBR != 0) ? in_data[8*gl +: 8] : raw_reg[8*gl +: 8]),
        .y   (inv[8*gl +: 8])
      );
    end
  endgenerate

  assign out_valid = sv_reg;
  assign out_data  = (sdl_reg ? inv : raw_reg) ^ ks_reg;

endmodule
`default_nettype wire
