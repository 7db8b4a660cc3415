//======================================================================
// kg_keyvault.v
// -------------
// The key vault of kgmac and what guards it: the AES and sign keys, the
// nonce, the lock, the key-check (KCV) sequencer, the wrong-key policy
// with its lockout, and the command side of VERIFY (docs/spec.md 11.1):
// MODEL_ADDR, MODEL_LEN, TAG_EXP, AUTH_OK and the outcome of a VERIFY.
// The VERIFY pass itself (key derivation, DMA, CMAC) runs in kg_auth. kg_csr decodes the register bus and hands this block
// one write strobe per vault register; the behaviour of these registers
// is described in kg_csr.v ("Defined behaviour where the map is silent").
//
// Register-file interface (from kg_csr, all in the cycle of the write):
//  wr_data/wr_strb  write data and byte strobes of the bus write.
//  w_aes, aes_idx   write to AES_KEY<aes_idx>.
//  w_sign, sign_idx write to SIGN_KEY<sign_idx>.
//  w_key_ctrl ...   write to KEY_CTRL, KEY_CFG, POLICY, NONCE0..2,
//                   KCV_EXP0..1, MODEL_ADDR, MODEL_LEN, TAG_EXP<tag_idx>.
//                   Every w_* already excludes writes with no strobe bit set.
//  soft_reset       CTRL.SOFT_RESET written (aborts a VERIFY).
//  busy             engine busy as the register file sees it (a START
//                   counts as busy until the engine raises busy). A
//                   VERIFY is not part of it; verify_busy reports it.
//
// Towards kg_csr:
//  key_irq          interrupt causes raised this cycle (IRQ_STATUS bits:
//                   DONE, WRONG_KEY, LOCKOUT, VAULT).
//  key_err_we       a key operation ends this cycle with STATUS.ERR =
//                   key_err (kg_csr lets an engine completion win).
//  abort_req        ZEROIZE while busy: the running layer must be reset.
//  key_cfg_rd, key_status_rd, policy_rd, nonce, kcv_exp: read views.
//  The AES and sign keys have no read view: they are write-only.
//
// Decrypt unit and engine: aes_key, aes_len, aes_valid, sign_key,
// sign_valid, nonce, key_load, zeroize, kcv_ready/kcv_start/kcv_valid/kcv,
// kcv_ok, policy_mode, locked_out as described in kg_csr.v.
//
// VERIFY sequencer (kg_auth): auth_start pulses when a VERIFY is accepted
// (model_addr/model_len/tag_exp/nonce are its inputs), auth_abort pulses
// when it must stop (its inputs or the key changed, LOAD_AES, ZEROIZE,
// SOFT_RESET). kg_auth answers every auth_start with one auth_done pulse
// and auth_res (KG_AUTH_RES_*, kg_auth.v); after an abort the result is
// ERR_ABORTED whatever it says. auth_ok and legacy go to the layer engine.
//======================================================================
`default_nettype none
`include "kg_regs.vh"

module kg_keyvault #(
  parameter ROWS        = 4,
  parameter COLS        = 4,
  parameter KCV_TIMEOUT = 4095   // cycles a CHECK may take before it is aborted
) (
  input  wire                   clk,
  input  wire                   reset_n,

  // Register writes, decoded by kg_csr.
  input  wire [31 : 0]          wr_data,
  input  wire [3 : 0]           wr_strb,
  input  wire                   w_aes,
  input  wire [2 : 0]           aes_idx,
  input  wire                   w_sign,
  input  wire [4 : 0]           sign_idx,
  input  wire                   w_key_ctrl,
  input  wire                   w_key_cfg,
  input  wire                   w_policy,
  input  wire                   w_nonce0,
  input  wire                   w_nonce1,
  input  wire                   w_nonce2,
  input  wire                   w_kexp0,
  input  wire                   w_kexp1,
  input  wire                   w_model_addr,
  input  wire                   w_model_len,
  input  wire                   w_tag,
  input  wire [1 : 0]           tag_idx,
  input  wire                   soft_reset,
  input  wire                   busy,

  // Status towards the register file.
  output reg  [`KG_IRQ_STATUS_VAULT_LSB : 0] key_irq,
  output reg                    key_err_we,
  output reg  [7 : 0]           key_err,
  output reg                    abort_req,
  output reg  [31 : 0]          key_cfg_rd,
  output reg  [31 : 0]          key_status_rd,
  output reg  [31 : 0]          policy_rd,
  output wire [63 : 0]          kcv_exp,
  output wire [31 : 0]          model_addr,
  output wire [31 : 0]          model_len,
  output wire [127 : 0]         tag_exp,
  output wire                   verify_busy,
  output wire                   check_busy,

  // Vault.
  output wire [ROWS*COLS-1 : 0] sign_key,
  output wire                   sign_valid,
  output wire [255 : 0]         aes_key,
  output wire [1 : 0]           aes_len,
  output wire                   aes_valid,
  output wire [95 : 0]          nonce,
  output wire                   key_load,
  output wire                   zeroize,

  // Key check and policy.
  input  wire                   kcv_ready,
  output wire                   kcv_start,
  input  wire                   kcv_valid,
  input  wire [63 : 0]          kcv,
  output wire                   kcv_ok,
  output wire [1 : 0]           policy_mode,
  output wire                   locked_out,

  // VERIFY (kg_auth) and the layer engine's admission.
  output wire                   auth_start,
  output wire                   auth_abort,
  input  wire                   auth_done,
  input  wire [1 : 0]           auth_res,
  output wire                   auth_ok,
  output wire                   legacy
);

  //----------------------------------------------------------------
  // Parameters and constants.
  //----------------------------------------------------------------
  localparam SK_BITS   = ROWS * COLS;
  localparam IRQ_W     = `KG_IRQ_STATUS_VAULT_LSB + 1;
  localparam TMR_W     = $clog2(KCV_TIMEOUT + 1);

  localparam integer TMO_I = KCV_TIMEOUT;
  localparam [TMR_W-1 : 0] TMO = TMO_I[TMR_W-1 : 0];

  localparam [7 : 0] ERR_OK           = `KG_ERR_OK;
  localparam [7 : 0] ERR_NO_KEY       = `KG_ERR_NO_KEY;
  localparam [7 : 0] ERR_LOCKED_OUT   = `KG_ERR_LOCKED_OUT;
  localparam [7 : 0] ERR_ABORTED      = `KG_ERR_ABORTED;
  localparam [7 : 0] ERR_KCV_MISMATCH = `KG_ERR_KCV_MISMATCH;
  localparam [7 : 0] ERR_AUTH_FAIL    = `KG_ERR_AUTH_FAIL;
  localparam [7 : 0] ERR_MISALIGNED   = `KG_ERR_MISALIGNED;
  localparam [7 : 0] ERR_TOO_BIG      = `KG_ERR_TOO_BIG;
  localparam [7 : 0] ERR_BUS          = `KG_ERR_BUS;

  // auth_res codes of kg_auth.
  localparam [1 : 0] AUTH_RES_MATCH    = 2'd0;
  localparam [1 : 0] AUTH_RES_MISMATCH = 2'd1;
  localparam [1 : 0] AUTH_RES_BUS      = 2'd2;

  localparam [32 : 0] MODEL_MIN = 33'd128;       // smallest image: the header
  localparam [32 : 0] ADDR_LIM  = 33'h1_0000_0000;

  localparam [1 : 0] POL_REFUSE  = `KG_POLICY_REFUSE;
  localparam [1 : 0] POL_RUN     = `KG_POLICY_RUN;
  localparam [1 : 0] POL_LOCKOUT = `KG_POLICY_LOCKOUT;
  localparam [1 : 0] LEN_256     = 2'd2;        // largest legal KEY_CFG.AES_LEN

  localparam [31 : 0] POLICY_RST  = `KG_RST_POLICY;
  localparam [31 : 0] KEY_CFG_RST = `KG_RST_KEY_CFG;

  // KCV sequencer states.
  localparam [1 : 0] CHK_IDLE  = 2'd0;          // no CHECK running
  localparam [1 : 0] CHK_READY = 2'd1;          // waiting for kcv_ready
  localparam [1 : 0] CHK_ISSUE = 2'd2;          // kcv_start on the port
  localparam [1 : 0] CHK_WAIT  = 2'd3;          // waiting for kcv_valid

  generate
    if (SK_BITS < 1 || SK_BITS > 32 * `KG_REG_SIGN_KEY_COUNT) begin : g_bad_geom
      kg_keyvault_ROWS_times_COLS_must_fit_the_SIGN_KEY_words u_bad ();
    end
    if (KCV_TIMEOUT < 16) begin : g_bad_tmo
      kg_keyvault_KCV_TIMEOUT_must_be_at_least_16 u_bad ();
    end
  endgenerate

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  // Key vault (public: tests check zeroize on them).
  reg [255 : 0]        aes_key_reg    /*verilator public_flat_rd*/;
  reg [255 : 0]        aes_key_new;
  reg                  aes_key_we;
  reg [SK_BITS-1 : 0]  sign_key_reg   /*verilator public_flat_rd*/;
  reg [SK_BITS-1 : 0]  sign_key_new;
  reg                  sign_key_we;
  reg                  aes_valid_reg  /*verilator public_flat_rd*/;
  reg                  aes_valid_new;
  reg                  aes_valid_we;
  reg                  sign_valid_reg /*verilator public_flat_rd*/;
  reg                  sign_valid_new;
  reg                  sign_valid_we;
  reg                  locked_reg;
  reg                  locked_new;
  reg                  locked_we;
  reg [1 : 0]          aes_len_reg;
  reg [1 : 0]          aes_len_new;
  reg                  aes_len_we;

  // Key check and policy.
  reg                  kcv_ok_reg;
  reg                  kcv_ok_new;
  reg                  kcv_ok_we;
  reg [7 : 0]          fails_reg;
  reg [7 : 0]          fails_new;
  reg                  fails_we;
  reg                  lockout_reg;
  reg                  lockout_new;
  reg                  lockout_we;
  reg [1 : 0]          pol_mode_reg;
  reg [1 : 0]          pol_mode_new;
  reg [7 : 0]          pol_thr_reg;
  reg [7 : 0]          pol_thr_new;
  reg                  policy_we;
  reg [95 : 0]         nonce_reg;
  reg [95 : 0]         nonce_new;
  reg                  nonce_we;
  reg [63 : 0]         kcv_exp_reg;
  reg [63 : 0]         kcv_exp_new;
  reg                  kcv_exp_we;
  reg [1 : 0]          chk_state_reg;
  reg [1 : 0]          chk_state_new;
  reg                  chk_state_we;
  reg                  chk_stale_reg;          // inputs of the running CHECK changed
  reg                  chk_stale_new;
  reg                  chk_stale_we;
  reg [TMR_W-1 : 0]    chk_tmr_reg;
  reg [TMR_W-1 : 0]    chk_tmr_new;
  reg                  chk_tmr_we;
  reg                  pol_legacy_reg;
  reg                  pol_legacy_new;

  // VERIFY.
  reg [31 : 0]         model_addr_reg;
  reg [31 : 0]         model_addr_new;
  reg                  model_addr_we;
  reg [31 : 0]         model_len_reg;
  reg [31 : 0]         model_len_new;
  reg                  model_len_we;
  reg [127 : 0]        tag_exp_reg;
  reg [127 : 0]        tag_exp_new;
  reg                  tag_exp_we;
  reg                  auth_ok_reg;
  reg                  auth_ok_new;
  reg                  auth_ok_we;
  reg                  ver_busy_reg;
  reg                  ver_busy_new;
  reg                  ver_busy_we;
  reg                  ver_stale_reg;          // the running VERIFY was aborted
  reg                  ver_stale_new;
  reg                  ver_stale_we;

  // Output pulses.
  reg                  key_load_reg;
  reg                  key_load_new;
  reg                  zeroize_reg;
  reg                  zeroize_new;
  reg                  kcv_start_reg;
  reg                  kcv_start_new;
  reg                  auth_start_reg;
  reg                  auth_start_new;
  reg                  auth_abort_reg;
  reg                  auth_abort_new;

  //----------------------------------------------------------------
  // Outputs.
  //----------------------------------------------------------------
  wire [31 : 0] wmask = {{8{wr_strb[3]}}, {8{wr_strb[2]}}, {8{wr_strb[1]}}, {8{wr_strb[0]}}};

  assign sign_key    = sign_key_reg;
  assign sign_valid  = sign_valid_reg;
  assign aes_key     = aes_key_reg;
  assign aes_len     = aes_len_reg;
  assign aes_valid   = aes_valid_reg;
  assign nonce       = nonce_reg;
  assign kcv_exp     = kcv_exp_reg;
  assign key_load    = key_load_reg;
  assign zeroize     = zeroize_reg;
  assign kcv_start   = kcv_start_reg;
  assign kcv_ok      = kcv_ok_reg;
  assign policy_mode = pol_mode_reg;
  assign locked_out  = lockout_reg;
  assign model_addr  = model_addr_reg;
  assign model_len   = model_len_reg;
  assign tag_exp     = tag_exp_reg;
  assign verify_busy = ver_busy_reg;
  assign check_busy  = (chk_state_reg != CHK_IDLE);
  assign auth_start  = auth_start_reg;
  assign auth_abort  = auth_abort_reg;
  assign auth_ok     = auth_ok_reg;
  assign legacy      = pol_legacy_reg;

  //----------------------------------------------------------------
  // Register views (as read, and as the base of a strobed write).
  //----------------------------------------------------------------
  always @* begin : views
    key_cfg_rd = 32'h0;
    key_cfg_rd[`KG_KEY_CFG_AES_LEN_LSB +: `KG_KEY_CFG_AES_LEN_W] = aes_len_reg;

    key_status_rd = 32'h0;
    key_status_rd[`KG_KEY_STATUS_AES_VALID_LSB]  = aes_valid_reg;
    key_status_rd[`KG_KEY_STATUS_SIGN_VALID_LSB] = sign_valid_reg;
    key_status_rd[`KG_KEY_STATUS_LOCKED_LSB]     = locked_reg;
    key_status_rd[`KG_KEY_STATUS_KCV_OK_LSB]     = kcv_ok_reg;
    key_status_rd[`KG_KEY_STATUS_CHECK_BUSY_LSB] = (chk_state_reg != CHK_IDLE) | ver_busy_reg;
    key_status_rd[`KG_KEY_STATUS_LOCKED_OUT_LSB] = lockout_reg;
    key_status_rd[`KG_KEY_STATUS_AUTH_OK_LSB]    = auth_ok_reg;
    key_status_rd[`KG_KEY_STATUS_FAILS_LSB +: `KG_KEY_STATUS_FAILS_W] = fails_reg;

    policy_rd = 32'h0;
    policy_rd[`KG_POLICY_MODE_LSB +: `KG_POLICY_MODE_W]           = pol_mode_reg;
    policy_rd[`KG_POLICY_THRESHOLD_LSB +: `KG_POLICY_THRESHOLD_W] = pol_thr_reg;
    policy_rd[`KG_POLICY_LEGACY_LSB]                              = pol_legacy_reg;
  end

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      aes_key_reg    <= 256'h0;
      sign_key_reg   <= {SK_BITS{1'b0}};
      aes_valid_reg  <= 1'b0;
      sign_valid_reg <= 1'b0;
      locked_reg     <= 1'b0;
      aes_len_reg    <= KEY_CFG_RST[`KG_KEY_CFG_AES_LEN_LSB +: `KG_KEY_CFG_AES_LEN_W];
      kcv_ok_reg     <= 1'b0;
      fails_reg      <= 8'h0;
      lockout_reg    <= 1'b0;
      pol_mode_reg   <= POLICY_RST[`KG_POLICY_MODE_LSB +: `KG_POLICY_MODE_W];
      pol_thr_reg    <= POLICY_RST[`KG_POLICY_THRESHOLD_LSB +: `KG_POLICY_THRESHOLD_W];
      pol_legacy_reg <= POLICY_RST[`KG_POLICY_LEGACY_LSB];
      model_addr_reg <= `KG_RST_MODEL_ADDR;
      model_len_reg  <= `KG_RST_MODEL_LEN;
      tag_exp_reg    <= 128'h0;
      auth_ok_reg    <= 1'b0;
      ver_busy_reg   <= 1'b0;
      ver_stale_reg  <= 1'b0;
      auth_start_reg <= 1'b0;
      auth_abort_reg <= 1'b0;
      nonce_reg      <= {`KG_RST_NONCE0, `KG_RST_NONCE1, `KG_RST_NONCE2};
      kcv_exp_reg    <= {`KG_RST_KCV_EXP0, `KG_RST_KCV_EXP1};
      chk_state_reg  <= CHK_IDLE;
      chk_stale_reg  <= 1'b0;
      chk_tmr_reg    <= {TMR_W{1'b0}};
      key_load_reg   <= 1'b0;
      zeroize_reg    <= 1'b0;
      kcv_start_reg  <= 1'b0;
    end else begin
      if (aes_key_we)    aes_key_reg    <= aes_key_new;
      if (sign_key_we)   sign_key_reg   <= sign_key_new;
      if (aes_valid_we)  aes_valid_reg  <= aes_valid_new;
      if (sign_valid_we) sign_valid_reg <= sign_valid_new;
      if (locked_we)     locked_reg     <= locked_new;
      if (aes_len_we)    aes_len_reg    <= aes_len_new;
      if (kcv_ok_we)     kcv_ok_reg     <= kcv_ok_new;
      if (fails_we)      fails_reg      <= fails_new;
      if (lockout_we)    lockout_reg    <= lockout_new;
      if (policy_we) begin
        pol_mode_reg <= pol_mode_new;
        pol_thr_reg  <= pol_thr_new;
        pol_legacy_reg <= pol_legacy_new;
      end
      if (model_addr_we) model_addr_reg <= model_addr_new;
      if (model_len_we)  model_len_reg  <= model_len_new;
      if (tag_exp_we)    tag_exp_reg    <= tag_exp_new;
      if (auth_ok_we)    auth_ok_reg    <= auth_ok_new;
      if (ver_busy_we)   ver_busy_reg   <= ver_busy_new;
      if (ver_stale_we)  ver_stale_reg  <= ver_stale_new;
      auth_start_reg <= auth_start_new;
      auth_abort_reg <= auth_abort_new;
      if (nonce_we)      nonce_reg      <= nonce_new;
      if (kcv_exp_we)    kcv_exp_reg    <= kcv_exp_new;
      if (chk_state_we)  chk_state_reg  <= chk_state_new;
      if (chk_stale_we)  chk_stale_reg  <= chk_stale_new;
      if (chk_tmr_we)    chk_tmr_reg    <= chk_tmr_new;
      key_load_reg   <= key_load_new;
      zeroize_reg    <= zeroize_new;
      kcv_start_reg  <= kcv_start_new;
    end
  end

  //----------------------------------------------------------------
  // vault_logic: every vault, check and policy update. Later
  // assignments win, so the order below is the priority order (lowest
  // first): KCV sequencer, register writes, ZEROIZE.
  //----------------------------------------------------------------
  reg [31 : 0]      cmd;           // strobed write data of KEY_CTRL
  reg [31 : 0]      merged;        // strobed write merged into a register view
  reg               vault_write;   // a write to a vault register or command
  reg               kcv_inval;     // the inputs of the key check changed
  reg               chk_abort;     // the running CHECK can never complete
  reg               chk_finish;    // the running CHECK ends this cycle
  reg               kc_load_aes;
  reg               kc_load_sign;
  reg               kc_zeroize;
  reg               kc_check;
  reg               kc_verify;
  reg               auth_inval;    // the inputs of VERIFY changed: AUTH_OK clears
  reg               ver_abort;     // the running VERIFY must stop
  reg               ver_stale;     // the running VERIFY ends with ERR_ABORTED
  reg [32 : 0]      model_end;
  reg [7 : 0]       fails_inc;
  reg [7 : 0]       thr_eff;
  integer           b;

  // Scratch bits that no register uses (kept for a uniform 32-bit view).
  wire _unused_ok = &{1'b0, cmd, merged};

  always @* begin : vault_logic
    aes_key_new    = aes_key_reg;
    aes_key_we     = 1'b0;
    sign_key_new   = sign_key_reg;
    sign_key_we    = 1'b0;
    aes_valid_new  = aes_valid_reg;
    aes_valid_we   = 1'b0;
    sign_valid_new = sign_valid_reg;
    sign_valid_we  = 1'b0;
    locked_new     = locked_reg;
    locked_we      = 1'b0;
    aes_len_new    = aes_len_reg;
    aes_len_we     = 1'b0;
    kcv_ok_new     = kcv_ok_reg;
    kcv_ok_we      = 1'b0;
    fails_new      = fails_reg;
    fails_we       = 1'b0;
    lockout_new    = lockout_reg;
    lockout_we     = 1'b0;
    pol_mode_new   = pol_mode_reg;
    pol_thr_new    = pol_thr_reg;
    pol_legacy_new = pol_legacy_reg;
    policy_we      = 1'b0;
    model_addr_new = model_addr_reg;
    model_addr_we  = 1'b0;
    model_len_new  = model_len_reg;
    model_len_we   = 1'b0;
    tag_exp_new    = tag_exp_reg;
    tag_exp_we     = 1'b0;
    auth_ok_new    = auth_ok_reg;
    auth_ok_we     = 1'b0;
    ver_busy_new   = ver_busy_reg;
    ver_busy_we    = 1'b0;
    ver_stale_new  = ver_stale_reg;
    ver_stale_we   = 1'b0;
    auth_start_new = 1'b0;
    auth_abort_new = 1'b0;
    nonce_new      = nonce_reg;
    nonce_we       = 1'b0;
    kcv_exp_new    = kcv_exp_reg;
    kcv_exp_we     = 1'b0;
    chk_state_new  = chk_state_reg;
    chk_state_we   = 1'b0;
    chk_stale_new  = chk_stale_reg;
    chk_stale_we   = 1'b0;
    chk_tmr_new    = chk_tmr_reg;
    chk_tmr_we     = 1'b0;
    key_load_new   = 1'b0;
    zeroize_new    = 1'b0;
    kcv_start_new  = 1'b0;
    key_irq        = {IRQ_W{1'b0}};
    key_err        = ERR_OK;
    key_err_we     = 1'b0;
    abort_req      = 1'b0;

    cmd          = wr_data & wmask;
    merged       = 32'h0;
    vault_write  = 1'b0;
    kcv_inval    = 1'b0;
    chk_abort    = 1'b0;
    chk_finish   = 1'b0;
    fails_inc    = (fails_reg == 8'hff) ? fails_reg : fails_reg + 8'd1;
    thr_eff      = (pol_thr_reg == 8'h0) ? 8'h1 : pol_thr_reg;
    kc_zeroize   = w_key_ctrl & cmd[`KG_KEY_CTRL_ZEROIZE_LSB];
    kc_load_aes  = w_key_ctrl & cmd[`KG_KEY_CTRL_LOAD_AES_LSB]  & ~kc_zeroize;
    kc_load_sign = w_key_ctrl & cmd[`KG_KEY_CTRL_LOAD_SIGN_LSB] & ~kc_zeroize;
    kc_check     = w_key_ctrl & cmd[`KG_KEY_CTRL_CHECK_LSB]     & ~kc_zeroize;
    // CHECK and VERIFY in one write: the CHECK is taken, the VERIFY ignored.
    kc_verify    = w_key_ctrl & cmd[`KG_KEY_CTRL_VERIFY_LSB]    & ~kc_zeroize &
                   ~cmd[`KG_KEY_CTRL_CHECK_LSB];
    auth_inval   = 1'b0;
    ver_abort    = soft_reset;
    model_end    = {1'b0, model_addr_reg} + {1'b0, model_len_reg};

    //--------------------------------------------------------------
    // KCV sequencer.
    //--------------------------------------------------------------
    if (chk_state_reg != CHK_IDLE && chk_tmr_reg != TMO) begin
      chk_tmr_new = chk_tmr_reg + 1'b1;
      chk_tmr_we  = 1'b1;
    end

    case (chk_state_reg)
      CHK_READY: begin
        if (chk_tmr_reg == TMO) begin
          chk_finish = 1'b1;
          key_err    = ERR_ABORTED;
          key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
        end else if (kcv_ready && !key_load_reg && !zeroize_reg) begin
          kcv_start_new = 1'b1;
          chk_state_new = CHK_ISSUE;
          chk_state_we  = 1'b1;
        end
      end

      CHK_ISSUE: begin
        // kcv_valid may still show the previous result in this cycle.
        chk_state_new = CHK_WAIT;
        chk_state_we  = 1'b1;
      end

      CHK_WAIT: begin
        if (kcv_valid) begin
          chk_finish = 1'b1;
          if (chk_stale_reg) begin
            key_err = ERR_ABORTED;
            key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
          end else if (kcv == kcv_exp_reg) begin
            kcv_ok_new = 1'b1;
            kcv_ok_we  = 1'b1;
            key_err    = ERR_OK;
            key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
          end else begin
            key_err   = ERR_KCV_MISMATCH;
            key_irq[`KG_IRQ_STATUS_WRONG_KEY_LSB] = 1'b1;
            fails_new = fails_inc;
            fails_we  = 1'b1;
            if (pol_mode_reg == POL_LOCKOUT && fails_inc >= thr_eff) begin
              lockout_new = 1'b1;
              lockout_we  = 1'b1;
              key_irq[`KG_IRQ_STATUS_LOCKOUT_LSB] = 1'b1;
            end
          end
        end else if (chk_tmr_reg == TMO) begin
          chk_finish = 1'b1;
          key_err    = ERR_ABORTED;
          key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
        end
      end

      default: ;
    endcase

    //--------------------------------------------------------------
    // Register writes.
    //--------------------------------------------------------------
    if (w_nonce0 || w_nonce1 || w_nonce2) begin
      if (w_nonce0) nonce_new[95 : 64] = (nonce_reg[95 : 64] & ~wmask) | (wr_data & wmask);
      if (w_nonce1) nonce_new[63 : 32] = (nonce_reg[63 : 32] & ~wmask) | (wr_data & wmask);
      if (w_nonce2) nonce_new[31 : 0]  = (nonce_reg[31 : 0]  & ~wmask) | (wr_data & wmask);
      nonce_we   = 1'b1;
      kcv_inval  = 1'b1;
      auth_inval = 1'b1;
    end

    if (w_model_addr) begin
      model_addr_new = (model_addr_reg & ~wmask) | (wr_data & wmask);
      model_addr_we  = 1'b1;
      auth_inval     = 1'b1;
    end

    if (w_model_len) begin
      model_len_new = (model_len_reg & ~wmask) | (wr_data & wmask);
      model_len_we  = 1'b1;
      auth_inval    = 1'b1;
    end

    if (w_tag) begin
      tag_exp_new[127 - 32*tag_idx -: 32] =
        (tag_exp_reg[127 - 32*tag_idx -: 32] & ~wmask) | (wr_data & wmask);
      tag_exp_we = 1'b1;
      auth_inval = 1'b1;
    end

    if (w_kexp0 || w_kexp1) begin
      if (w_kexp0) kcv_exp_new[63 : 32] = (kcv_exp_reg[63 : 32] & ~wmask) | (wr_data & wmask);
      if (w_kexp1) kcv_exp_new[31 : 0]  = (kcv_exp_reg[31 : 0]  & ~wmask) | (wr_data & wmask);
      kcv_exp_we = 1'b1;
      kcv_inval  = 1'b1;
    end

    // Vault registers: ignored after LOCK (VAULT interrupt).
    if (w_aes) begin
      vault_write = 1'b1;
      if (!locked_reg) begin
        aes_key_new[255 - 32*aes_idx -: 32] =
          (aes_key_reg[255 - 32*aes_idx -: 32] & ~wmask) | (wr_data & wmask);
        aes_key_we    = 1'b1;
        aes_valid_new = 1'b0;
        aes_valid_we  = 1'b1;
        kcv_inval     = 1'b1;
        auth_inval    = 1'b1;
      end
    end

    if (w_sign) begin
      vault_write = 1'b1;
      if (!locked_reg) begin
        for (b = 0; b < SK_BITS; b = b + 1)
          if (sign_idx == b[9 : 5] && wr_strb[b[4 : 3]])
            sign_key_new[b] = wr_data[b[4 : 0]];
        sign_key_we    = 1'b1;
        sign_valid_new = 1'b0;
        sign_valid_we  = 1'b1;
      end
    end

    if (w_key_cfg) begin
      vault_write = 1'b1;
      if (!locked_reg) begin
        merged        = (key_cfg_rd & ~wmask) | (wr_data & wmask);
        aes_len_new   = merged[`KG_KEY_CFG_AES_LEN_LSB +: `KG_KEY_CFG_AES_LEN_W];
        aes_len_we    = 1'b1;
        aes_valid_new = 1'b0;                  // the loaded key no longer matches
        aes_valid_we  = 1'b1;
        kcv_inval     = 1'b1;
        auth_inval    = 1'b1;
      end
    end

    if (w_policy) begin
      vault_write = 1'b1;
      if (!locked_reg) begin
        merged       = (policy_rd & ~wmask) | (wr_data & wmask);
        pol_mode_new = merged[`KG_POLICY_MODE_LSB +: `KG_POLICY_MODE_W];
        if (pol_mode_new != POL_RUN && pol_mode_new != POL_LOCKOUT)
          pol_mode_new = POL_REFUSE;           // reserved MODE 3 reads back as REFUSE
        pol_thr_new  = merged[`KG_POLICY_THRESHOLD_LSB +: `KG_POLICY_THRESHOLD_W];
        pol_legacy_new = merged[`KG_POLICY_LEGACY_LSB];
        policy_we    = 1'b1;
      end
    end

    // KEY_CTRL. LOAD_* act against the lock state before this write, so
    // LOAD_AES|LOCK in one write loads and then locks.
    if (kc_load_aes || kc_load_sign)
      vault_write = 1'b1;
    if (kc_load_aes && !locked_reg && !busy && aes_len_reg <= LEN_256) begin
      aes_valid_new = 1'b1;
      aes_valid_we  = 1'b1;
      key_load_new  = 1'b1;
      kcv_inval     = 1'b1;
      auth_inval    = 1'b1;
      chk_abort     = 1'b1;                    // the decrypt unit drops a pending KCV
    end
    if (kc_load_sign && !locked_reg) begin
      sign_valid_new = 1'b1;
      sign_valid_we  = 1'b1;
    end
    if (w_key_ctrl && cmd[`KG_KEY_CTRL_LOCK_LSB]) begin
      locked_new = 1'b1;
      locked_we  = 1'b1;
    end

    if (vault_write && locked_reg)
      key_irq[`KG_IRQ_STATUS_VAULT_LSB] = 1'b1;

    if (kcv_inval) begin
      kcv_ok_new = 1'b0;
      kcv_ok_we  = 1'b1;
      if (chk_state_reg != CHK_IDLE) begin
        chk_stale_new = 1'b1;
        chk_stale_we  = 1'b1;
      end
    end

    // VERIFY's inputs changed: AUTH_OK clears, a running VERIFY aborts.
    if (auth_inval) begin
      auth_ok_new = 1'b0;
      auth_ok_we  = 1'b1;
      ver_abort   = 1'b1;
    end

    // CHECK: refused in lockout or without a key; ignored while a CHECK
    // or a VERIFY runs.
    if (kc_check && chk_state_reg == CHK_IDLE && !ver_busy_reg) begin
      if (lockout_reg) begin
        key_err    = ERR_LOCKED_OUT;
        key_err_we = 1'b1;
        key_irq[`KG_IRQ_STATUS_LOCKOUT_LSB] = 1'b1;
      end else if (!(aes_valid_we ? aes_valid_new : aes_valid_reg)) begin
        key_err    = ERR_NO_KEY;
        key_err_we = 1'b1;
        key_irq[`KG_IRQ_STATUS_WRONG_KEY_LSB] = 1'b1;
      end else begin
        chk_state_new = CHK_READY;
        chk_state_we  = 1'b1;
        chk_stale_new = 1'b0;
        chk_stale_we  = 1'b1;
        chk_tmr_new   = {TMR_W{1'b0}};
        chk_tmr_we    = 1'b1;
        kcv_ok_new    = 1'b0;
        kcv_ok_we     = 1'b1;
      end
    end

    // VERIFY (docs/spec.md 11.1): ignored while busy or while a CHECK or
    // VERIFY runs; else the first refusal that applies, or accepted.
    if (kc_verify && !busy && chk_state_reg == CHK_IDLE && !ver_busy_reg) begin
      key_err_we = 1'b1;
      if (lockout_reg) begin
        key_err = ERR_LOCKED_OUT;
        key_irq[`KG_IRQ_STATUS_LOCKOUT_LSB] = 1'b1;
      end else begin
        auth_ok_new = 1'b0;
        auth_ok_we  = 1'b1;
        if (!(aes_valid_we ? aes_valid_new : aes_valid_reg)) begin
          key_err = ERR_NO_KEY;
          key_irq[`KG_IRQ_STATUS_WRONG_KEY_LSB] = 1'b1;
        end else if (model_addr_reg[3 : 0] != 4'h0 || model_len_reg[3 : 0] != 4'h0) begin
          key_err = ERR_MISALIGNED;
          key_irq[`KG_IRQ_STATUS_DESC_ERR_LSB] = 1'b1;
        end else if ({1'b0, model_len_reg} < MODEL_MIN || model_end > ADDR_LIM) begin
          key_err = ERR_TOO_BIG;
          key_irq[`KG_IRQ_STATUS_DESC_ERR_LSB] = 1'b1;
        end else begin
          key_err_we     = 1'b0;
          ver_busy_new   = 1'b1;
          ver_busy_we    = 1'b1;
          ver_stale_new  = 1'b0;
          ver_stale_we   = 1'b1;
          auth_start_new = 1'b1;
        end
      end
    end

    //--------------------------------------------------------------
    // ZEROIZE: allowed even when locked; does not clear LOCKED. A
    // running layer is aborted (soft reset): its decrypt state is gone.
    //--------------------------------------------------------------
    if (kc_zeroize) begin
      aes_key_new    = 256'h0;
      aes_key_we     = 1'b1;
      sign_key_new   = {SK_BITS{1'b0}};
      sign_key_we    = 1'b1;
      aes_valid_new  = 1'b0;
      aes_valid_we   = 1'b1;
      sign_valid_new = 1'b0;
      sign_valid_we  = 1'b1;
      kcv_ok_new     = 1'b0;
      kcv_ok_we      = 1'b1;
      fails_new      = 8'h0;
      fails_we       = 1'b1;
      lockout_new    = 1'b0;
      lockout_we     = 1'b1;
      zeroize_new    = 1'b1;
      auth_ok_new    = 1'b0;                   // the derived keys are gone
      auth_ok_we     = 1'b1;
      ver_abort      = 1'b1;
      chk_abort      = 1'b1;
      if (busy)
        abort_req = 1'b1;
    end

    // A CHECK ends: by its result, by timeout or by abort.
    if (chk_state_reg != CHK_IDLE && (chk_finish || chk_abort)) begin
      chk_state_new = CHK_IDLE;
      chk_state_we  = 1'b1;
      kcv_start_new = 1'b0;
      key_err_we    = 1'b1;
      if (chk_abort && !chk_finish) begin
        key_err = ERR_ABORTED;
        key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
      end
    end

    //--------------------------------------------------------------
    // A running VERIFY: an abort stops kg_auth, which then answers; an
    // abort in the cycle of its answer still counts.
    //--------------------------------------------------------------
    ver_stale = ver_stale_reg | ver_abort;
    if (ver_busy_reg && ver_abort && !ver_stale_reg) begin
      ver_stale_new  = 1'b1;
      ver_stale_we   = 1'b1;
      auth_abort_new = 1'b1;
    end
    if (ver_busy_reg && auth_done) begin
      ver_busy_new = 1'b0;
      ver_busy_we  = 1'b1;
      key_err_we   = 1'b1;
      if (ver_stale) begin
        key_err = ERR_ABORTED;
        key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
      end else begin
        case (auth_res)
          AUTH_RES_MATCH: begin
            key_err     = ERR_OK;
            auth_ok_new = 1'b1;
            auth_ok_we  = 1'b1;
            key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
          end
          AUTH_RES_MISMATCH: begin
            key_err   = ERR_AUTH_FAIL;
            key_irq[`KG_IRQ_STATUS_WRONG_KEY_LSB] = 1'b1;
            fails_new = fails_inc;
            fails_we  = 1'b1;
            if (pol_mode_reg == POL_LOCKOUT && fails_inc >= thr_eff) begin
              lockout_new = 1'b1;
              lockout_we  = 1'b1;
              key_irq[`KG_IRQ_STATUS_LOCKOUT_LSB] = 1'b1;
            end
          end
          AUTH_RES_BUS: begin
            key_err = ERR_BUS;
            key_irq[`KG_IRQ_STATUS_BUS_ERR_LSB] = 1'b1;
          end
          default: begin                       // no cipher, or no result in time
            key_err = ERR_ABORTED;
            key_irq[`KG_IRQ_STATUS_DONE_LSB] = 1'b1;
          end
        endcase
      end
    end
  end

endmodule // kg_keyvault

//======================================================================
// EOF kg_keyvault.v
//======================================================================
