//======================================================================
// kg_csr.v
// --------
// kgmac control/status block: AXI4-Lite register file (map in
// common/regs/kg_regs.json, docs/registers.md), its address decode, the
// engine registers, the interrupt causes and the performance counters
// (kg_perf). The key vault, the key-check (KCV) sequencer and the
// wrong-key policy live in kg_keyvault; this block decodes their register
// writes and muxes their read views.
//
// Engine interface:
//  start        1-cycle pulse, CTRL.START while not busy. The engine must
//               raise busy in the cycle after start (start itself counts
//               as busy for STATUS.BUSY, DESC_ADDR and a second START).
//  soft_reset   1-cycle pulse, CTRL.SOFT_RESET, or ZEROIZE while busy.
//  perf_clear   1-cycle pulse, CTRL.PERF_CLEAR (the counters here are
//               cleared in the same edge; the output is informational).
//  desc_addr    DESC_ADDR.
//  busy         engine busy (layer or soft reset in progress).
//  done         1-cycle pulse at the end of a layer with done_err = ERR_*.
//
// Key vault / decrypt unit interface:
//  aes_key      AES_KEY0..7, key byte 0 in [255:248]; aes_len = AES_LEN.
//  key_load     1-cycle pulse after LOAD_AES (aes_key/aes_len are stable).
//  zeroize      1-cycle pulse after ZEROIZE (the vault is already clear).
//  sign_key     bit i = SIGN_KEY word i/32, bit i%32 (bit r*COLS+c is PE(r,c)).
//               Live vault bits: SIGN_KEY writes show at once; the
//               engine uses them only with sign_valid.
//  nonce        NONCE0..2, nonce byte 0 in [95:88].
//  kcv_ready    the decrypt unit can compute a KCV (its key_ready).
//  kcv_start    1-cycle pulse; issued only while kcv_ready and never in
//               the cycle of key_load or zeroize.
//  kcv_valid    result valid (a pulse or a level; it is sampled only from
//               the cycle after kcv_start), kcv byte 0 in [63:56].
//
// Perf inputs: ev_compute (an activation row entered the array),
// rd_bytes/wr_bytes (DMA bytes this cycle), dma_stall, dec_stall.
//
// Defined behaviour where the map is silent:
//  - Bus: the two low address bits are ignored; a write with no strobe
//    bit set has no effect; strobes select bytes of RW registers, key
//    words and command bits. Writes to read-only registers are ignored
//    with OKAY; unmapped offsets answer SLVERR (reads 0). SIGN_KEY words
//    beyond ROWS*COLS bits are accepted and ignored.
//  - IRQ: a cause raised in the cycle of its W1C stays set.
//  - STATUS.ERR: an engine completion wins over a key operation ending
//    in the same cycle (both raise their interrupt).
//  - KEY_CFG: a write also clears AES_VALID (LOAD_AES again). AES_LEN 3
//    is stored, but LOAD_AES is then refused (no key_load, AES_VALID 0).
//  - POLICY.MODE 3 (reserved) is stored and read back as REFUSE.
//  - KEY_CTRL bits in one write: ZEROIZE cancels LOAD_AES, LOAD_SIGN and
//    CHECK; LOAD_* act on the lock state before the write (LOAD|LOCK
//    loads, then locks); CHECK sees the AES key loaded by the same write.
//  - LOAD_AES while busy is ignored (it would end the decrypt unit's
//    burst under a running layer). ZEROIZE while busy also pulses
//    soft_reset: the layer's key state is gone, so it is aborted.
//  - After LOCK, writes to AES_KEY*, SIGN_KEY*, KEY_CFG, POLICY and
//    LOAD_AES/LOAD_SIGN are ignored and raise VAULT. NONCE*, KCV_EXP*,
//    CHECK, ZEROIZE and LOCK stay usable. ZEROIZE never clears LOCKED.
//  - CHECK: refused at once in lockout (ERR_LOCKED_OUT, LOCKOUT) or
//    without a loaded AES key (ERR_NO_KEY, WRONG_KEY). Otherwise it clears
//    KCV_OK, waits for kcv_ready, pulses kcv_start and compares. A CHECK
//    while one runs is ignored. FAILS counts mismatches only and is not
//    reset by a later match. A lowered THRESHOLD takes effect at the next
//    failure.
//  - A running CHECK whose inputs change (NONCE*, KCV_EXP*, AES_KEY*,
//    KEY_CFG) still waits for its result but then ends with ERR_ABORTED
//    and DONE, KCV_OK 0 and no failure counted. LOAD_AES and ZEROIZE end
//    it at once the same way (the decrypt unit drops the computation).
//    No result within KCV_TIMEOUT cycles (e.g. a build without the CTR
//    cipher) also ends it with ERR_ABORTED.
//  - SOFT_RESET does not touch this block: vault, lockout, FAILS, IRQ
//    and counters survive it. It aborts a running VERIFY.
//  - VERIFY (docs/spec.md 11.1, kg_keyvault + kg_auth): STATUS.BUSY and
//    CHECK_BUSY are 1 while it runs; START and DESC_ADDR writes are then
//    ignored as during a layer, but LOAD_AES is not (it aborts the VERIFY).
//    CHECK and VERIFY in one KEY_CTRL write: the CHECK is taken. ZEROIZE
//    also clears AUTH_OK. Writes that the lock ignores (AES_KEY*, KEY_CFG,
//    LOAD_AES) clear neither KCV_OK nor AUTH_OK.
//======================================================================
`default_nettype none
`include "kg_regs.vh"

module kg_csr #(
  parameter ROWS        = 4,
  parameter COLS        = 4,
  parameter ACC_DEPTH   = 256,
  parameter ACT_WORDS   = 256,
  parameter AES_LANES   = 16,
  parameter CIPHER_PIPE = 1,
  parameter KEYGATE     = 1,
  parameter PARAM_DEPTH = 256,
  parameter KCV_TIMEOUT = 4095   // cycles a CHECK may take before it is aborted
) (
  input  wire                   clk,
  input  wire                   reset_n,

  // AXI4-Lite slave.
  input  wire                   s_axil_awvalid,
  output wire                   s_axil_awready,
  input  wire [`KG_REG_ADDR_BITS-1 : 0] s_axil_awaddr,
  input  wire [2 : 0]           s_axil_awprot,
  input  wire                   s_axil_wvalid,
  output wire                   s_axil_wready,
  input  wire [31 : 0]          s_axil_wdata,
  input  wire [3 : 0]           s_axil_wstrb,
  output wire                   s_axil_bvalid,
  input  wire                   s_axil_bready,
  output wire [1 : 0]           s_axil_bresp,
  input  wire                   s_axil_arvalid,
  output wire                   s_axil_arready,
  input  wire [`KG_REG_ADDR_BITS-1 : 0] s_axil_araddr,
  input  wire [2 : 0]           s_axil_arprot,
  output wire                   s_axil_rvalid,
  input  wire                   s_axil_rready,
  output wire [31 : 0]          s_axil_rdata,
  output wire [1 : 0]           s_axil_rresp,

  output wire                   irq,

  // Engine.
  output wire                   start,
  output wire                   soft_reset,
  output wire                   perf_clear,
  output wire [31 : 0]          desc_addr,
  input  wire                   busy,
  input  wire                   done,
  input  wire [7 : 0]           done_err,

  // Key vault.
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
  output wire [31 : 0]          model_addr,
  output wire [31 : 0]          model_len,
  output wire [127 : 0]         tag_exp,
  output wire                   auth_start,
  output wire                   auth_abort,
  input  wire                   auth_done,
  input  wire [1 : 0]           auth_res,
  output wire                   auth_ok,
  output wire                   legacy,
  output wire                   check_busy,

  // Performance events.
  input  wire                   ev_compute,
  input  wire [4 : 0]           rd_bytes,
  input  wire [4 : 0]           wr_bytes,
  input  wire                   dma_stall,
  input  wire                   dec_stall
);

  //----------------------------------------------------------------
  // Parameters and constants.
  //----------------------------------------------------------------
  localparam AW        = `KG_REG_ADDR_BITS;
  localparam IRQ_W     = `KG_IRQ_STATUS_VAULT_LSB + 1;

  localparam [AW-1 : 0] WORD      = 4;          // bytes per register
  localparam [AW-1 : 0] HI_OFS    = 4;          // _HI word of a 64-bit counter
  localparam [AW-1 : 0] AES_BASE  = `KG_REG_AES_KEY;
  localparam [AW-1 : 0] AES_END   = `KG_REG_AES_KEY + `KG_REG_AES_KEY_COUNT * WORD;
  localparam [AW-1 : 0] SIGN_BASE = `KG_REG_SIGN_KEY;
  localparam [AW-1 : 0] SIGN_END  = `KG_REG_SIGN_KEY + `KG_REG_SIGN_KEY_COUNT * WORD;

  localparam integer ROWS_I   = ROWS;
  localparam integer COLS_I   = COLS;
  localparam integer ACCD_I   = ACC_DEPTH;
  localparam integer ACTW_I   = ACT_WORDS;
  localparam integer LANES_I  = AES_LANES;
  localparam integer PIPE_I   = CIPHER_PIPE;
  localparam integer KGATE_I  = KEYGATE;
  localparam integer PDEPTH_I = PARAM_DEPTH;

  localparam [7 : 0] ERR_OK           = `KG_ERR_OK;
  localparam [7 : 0] ERR_WRONG_KEY    = `KG_ERR_WRONG_KEY;
  localparam [7 : 0] ERR_LOCKED_OUT   = `KG_ERR_LOCKED_OUT;
  localparam [7 : 0] ERR_BUS          = `KG_ERR_BUS;
  localparam [7 : 0] ERR_ABORTED      = `KG_ERR_ABORTED;
  localparam [7 : 0] ERR_KCV_MISMATCH = `KG_ERR_KCV_MISMATCH;
  localparam [7 : 0] ERR_NOT_AUTH     = `KG_ERR_NOT_AUTH;
  localparam [AW-1 : 0] TAG_BASE  = `KG_REG_TAG_EXP;
  localparam [AW-1 : 0] TAG_END   = `KG_REG_TAG_EXP + `KG_REG_TAG_EXP_COUNT * WORD;

  localparam [31 : 0] IRQ_EN_RST  = `KG_RST_IRQ_ENABLE;

  generate
    if (ROWS > 65535 || COLS > 65535 || ACC_DEPTH > 65535 || ACT_WORDS > 65535 ||
        PARAM_DEPTH > 65535 || AES_LANES > 255) begin : g_bad_hw
      kg_csr_build_parameters_must_fit_the_HW_registers u_bad ();
    end
  endgenerate

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  // Engine, status and interrupts.
  reg [31 : 0]         desc_addr_reg;
  reg [31 : 0]         desc_addr_new;
  reg                  desc_addr_we;
  reg [7 : 0]          err_reg;
  reg [7 : 0]          err_new;
  reg                  err_we;
  reg [IRQ_W-1 : 0]    irq_status_reg;
  reg [IRQ_W-1 : 0]    irq_status_new;
  reg                  irq_status_we;
  reg [IRQ_W-1 : 0]    irq_enable_reg;
  reg [IRQ_W-1 : 0]    irq_enable_new;
  reg                  irq_enable_we;

  // Output pulses.
  reg                  start_reg;
  reg                  start_new;
  reg                  soft_reset_reg;
  reg                  soft_reset_new;
  reg                  perf_clear_reg;
  reg                  perf_clear_new;

  //----------------------------------------------------------------
  // Register bus.
  //----------------------------------------------------------------
  wire               wr_en;
  wire [AW-1 : 0]    wr_addr;
  wire [31 : 0]      wr_data;
  wire [3 : 0]       wr_strb;
  reg                wr_err;
  wire               rd_en;
  wire [AW-1 : 0]    rd_addr;
  reg  [31 : 0]      rd_data;
  reg                rd_err;

  kg_axil_slave #(.ADDR_W(AW)) u_axil (
    .clk            (clk),
    .reset_n        (reset_n),
    .s_axil_awvalid (s_axil_awvalid),
    .s_axil_awready (s_axil_awready),
    .s_axil_awaddr  (s_axil_awaddr),
    .s_axil_awprot  (s_axil_awprot),
    .s_axil_wvalid  (s_axil_wvalid),
    .s_axil_wready  (s_axil_wready),
    .s_axil_wdata   (s_axil_wdata),
    .s_axil_wstrb   (s_axil_wstrb),
    .s_axil_bvalid  (s_axil_bvalid),
    .s_axil_bready  (s_axil_bready),
    .s_axil_bresp   (s_axil_bresp),
    .s_axil_arvalid (s_axil_arvalid),
    .s_axil_arready (s_axil_arready),
    .s_axil_araddr  (s_axil_araddr),
    .s_axil_arprot  (s_axil_arprot),
    .s_axil_rvalid  (s_axil_rvalid),
    .s_axil_rready  (s_axil_rready),
    .s_axil_rdata   (s_axil_rdata),
    .s_axil_rresp   (s_axil_rresp),
    .wr_en          (wr_en),
    .wr_addr        (wr_addr),
    .wr_data        (wr_data),
    .wr_strb        (wr_strb),
    .wr_err         (wr_err),
    .rd_en          (rd_en),
    .rd_addr        (rd_addr),
    .rd_data        (rd_data),
    .rd_err         (rd_err)
  );

  // Whole-word addresses (the two low address bits are ignored).
  wire [AW-1 : 0] wa = {wr_addr[AW-1 : 2], 2'b00};
  wire [AW-1 : 0] ra = {rd_addr[AW-1 : 2], 2'b00};

  // A write with no strobe bit set has no effect at all.
  wire            wr_act = wr_en & (|wr_strb);
  wire [31 : 0]   wmask  = {{8{wr_strb[3]}}, {8{wr_strb[2]}}, {8{wr_strb[1]}}, {8{wr_strb[0]}}};

  wire            wa_aes  = (wa >= AES_BASE)  && (wa < AES_END);
  wire            wa_sign = (wa >= SIGN_BASE) && (wa < SIGN_END);
  wire [AW-1 : 0] wa_aes_off  = wa - AES_BASE;
  wire [AW-1 : 0] wa_sign_off = wa - SIGN_BASE;
  wire [2 : 0]    aes_idx  = wa_aes_off[4 : 2];
  wire [4 : 0]    sign_idx = wa_sign_off[6 : 2];
  wire            wa_tag  = (wa >= TAG_BASE) && (wa < TAG_END);
  wire [AW-1 : 0] wa_tag_off = wa - TAG_BASE;
  wire [1 : 0]    tag_idx  = wa_tag_off[3 : 2];
  wire            ra_tag  = (ra >= TAG_BASE) && (ra < TAG_END);
  wire [AW-1 : 0] ra_tag_off = ra - TAG_BASE;

  // start counts as busy until the engine has raised busy.
  wire busy_eff = busy | start_reg;
  // STATUS.BUSY: a layer, a soft reset or a VERIFY.
  wire verify_busy;
  wire busy_all = busy_eff | verify_busy;

  //----------------------------------------------------------------
  // write_decode: which register a write hits, and its SLVERR.
  //----------------------------------------------------------------
  reg w_ctrl;
  reg w_desc;
  reg w_irq_status;
  reg w_irq_enable;
  reg w_key_ctrl;
  reg w_key_cfg;
  reg w_policy;
  reg w_nonce0;
  reg w_nonce1;
  reg w_nonce2;
  reg w_kexp0;
  reg w_kexp1;
  reg w_model_addr;
  reg w_model_len;

  always @* begin : write_decode
    w_ctrl       = 1'b0;
    w_desc       = 1'b0;
    w_irq_status = 1'b0;
    w_irq_enable = 1'b0;
    w_key_ctrl   = 1'b0;
    w_key_cfg    = 1'b0;
    w_policy     = 1'b0;
    w_nonce0     = 1'b0;
    w_nonce1     = 1'b0;
    w_nonce2     = 1'b0;
    w_kexp0      = 1'b0;
    w_kexp1      = 1'b0;
    w_model_addr = 1'b0;
    w_model_len  = 1'b0;
    wr_err       = 1'b0;

    case (wa)
      // Read-only registers ignore writes (OKAY).
      `KG_REG_ID, `KG_REG_VERSION, `KG_REG_HW_ARRAY, `KG_REG_HW_BUF,
      `KG_REG_HW_CFG, `KG_REG_STATUS, `KG_REG_KEY_STATUS,
      `KG_REG_PERF_CYCLES,    `KG_REG_PERF_CYCLES + HI_OFS,
      `KG_REG_PERF_BUSY,      `KG_REG_PERF_BUSY + HI_OFS,
      `KG_REG_PERF_COMPUTE,   `KG_REG_PERF_COMPUTE + HI_OFS,
      `KG_REG_PERF_RD_BYTES,  `KG_REG_PERF_RD_BYTES + HI_OFS,
      `KG_REG_PERF_WR_BYTES,  `KG_REG_PERF_WR_BYTES + HI_OFS,
      `KG_REG_PERF_DMA_STALL, `KG_REG_PERF_DMA_STALL + HI_OFS,
      `KG_REG_PERF_DEC_STALL, `KG_REG_PERF_DEC_STALL + HI_OFS: ;

      `KG_REG_CTRL:       w_ctrl       = wr_act;
      `KG_REG_DESC_ADDR:  w_desc       = wr_act;
      `KG_REG_IRQ_STATUS: w_irq_status = wr_act;
      `KG_REG_IRQ_ENABLE: w_irq_enable = wr_act;
      `KG_REG_KEY_CTRL:   w_key_ctrl   = wr_act;
      `KG_REG_KEY_CFG:    w_key_cfg    = wr_act;
      `KG_REG_POLICY:     w_policy     = wr_act;
      `KG_REG_NONCE0:     w_nonce0     = wr_act;
      `KG_REG_NONCE1:     w_nonce1     = wr_act;
      `KG_REG_NONCE2:     w_nonce2     = wr_act;
      `KG_REG_KCV_EXP0:   w_kexp0      = wr_act;
      `KG_REG_KCV_EXP1:   w_kexp1      = wr_act;
      `KG_REG_MODEL_ADDR: w_model_addr = wr_act;
      `KG_REG_MODEL_LEN:  w_model_len  = wr_act;
      default:            wr_err       = wr_en & ~(wa_aes | wa_sign | wa_tag);
    endcase
  end

  //----------------------------------------------------------------
  // Key vault, key check and wrong-key policy.
  //----------------------------------------------------------------
  wire [IRQ_W-1 : 0] key_irq;
  wire               key_err_we;
  wire [7 : 0]       key_err;
  wire               key_abort;
  wire [31 : 0]      key_cfg_rd;
  wire [31 : 0]      key_status_rd;
  wire [31 : 0]      policy_rd;
  wire [63 : 0]      kcv_exp;

  kg_keyvault #(.ROWS(ROWS), .COLS(COLS), .KCV_TIMEOUT(KCV_TIMEOUT)) u_keyvault (
    .clk           (clk),
    .reset_n       (reset_n),
    .wr_data       (wr_data),
    .wr_strb       (wr_strb),
    .w_aes         (wr_act & wa_aes),
    .aes_idx       (aes_idx),
    .w_sign        (wr_act & wa_sign),
    .sign_idx      (sign_idx),
    .w_key_ctrl    (w_key_ctrl),
    .w_key_cfg     (w_key_cfg),
    .w_policy      (w_policy),
    .w_nonce0      (w_nonce0),
    .w_nonce1      (w_nonce1),
    .w_nonce2      (w_nonce2),
    .w_kexp0       (w_kexp0),
    .w_kexp1       (w_kexp1),
    .w_model_addr  (w_model_addr),
    .w_model_len   (w_model_len),
    .w_tag         (wr_act & wa_tag),
    .tag_idx       (tag_idx),
    .soft_reset    (w_ctrl & wr_data[`KG_CTRL_SOFT_RESET_LSB] & wr_strb[`KG_CTRL_SOFT_RESET_LSB / 8]),
    .busy          (busy_eff),
    .key_irq       (key_irq),
    .key_err_we    (key_err_we),
    .key_err       (key_err),
    .abort_req     (key_abort),
    .key_cfg_rd    (key_cfg_rd),
    .key_status_rd (key_status_rd),
    .policy_rd     (policy_rd),
    .kcv_exp       (kcv_exp),
    .model_addr    (model_addr),
    .model_len     (model_len),
    .tag_exp       (tag_exp),
    .verify_busy   (verify_busy),
    .check_busy    (check_busy),
    .sign_key      (sign_key),
    .sign_valid    (sign_valid),
    .aes_key       (aes_key),
    .aes_len       (aes_len),
    .aes_valid     (aes_valid),
    .nonce         (nonce),
    .key_load      (key_load),
    .zeroize       (zeroize),
    .kcv_ready     (kcv_ready),
    .kcv_start     (kcv_start),
    .kcv_valid     (kcv_valid),
    .kcv           (kcv),
    .kcv_ok        (kcv_ok),
    .policy_mode   (policy_mode),
    .locked_out    (locked_out),
    .auth_start    (auth_start),
    .auth_abort    (auth_abort),
    .auth_done     (auth_done),
    .auth_res      (auth_res),
    .auth_ok       (auth_ok),
    .legacy        (legacy)
  );

  //----------------------------------------------------------------
  // Performance counters.
  //----------------------------------------------------------------
  wire [7*32-1 : 0] perf_lo;
  wire [7*32-1 : 0] perf_hi;
  reg               perf_clear_cmd;
  reg               perf_latch;

  kg_perf u_perf (
    .clk        (clk),
    .reset_n    (reset_n),
    .clear      (perf_clear_cmd),
    .latch      (perf_latch),
    .busy       (busy),
    .ev_compute (ev_compute),
    .rd_bytes   (rd_bytes),
    .wr_bytes   (wr_bytes),
    .dma_stall  (dma_stall),
    .dec_stall  (dec_stall),
    .lo         (perf_lo),
    .hi         (perf_hi)
  );

  //----------------------------------------------------------------
  // Outputs.
  //----------------------------------------------------------------
  assign irq         = |(irq_status_reg & irq_enable_reg);
  assign start       = start_reg;
  assign soft_reset  = soft_reset_reg;
  assign perf_clear  = perf_clear_reg;
  assign desc_addr   = desc_addr_reg;

  //----------------------------------------------------------------
  // Register views (as read).
  //----------------------------------------------------------------
  reg [31 : 0] hw_array_rd;
  reg [31 : 0] hw_buf_rd;
  reg [31 : 0] hw_cfg_rd;
  reg [31 : 0] status_rd;

  always @* begin : views
    hw_array_rd = 32'h0;
    hw_array_rd[`KG_HW_ARRAY_ROWS_LSB +: `KG_HW_ARRAY_ROWS_W] = ROWS_I[`KG_HW_ARRAY_ROWS_W-1 : 0];
    hw_array_rd[`KG_HW_ARRAY_COLS_LSB +: `KG_HW_ARRAY_COLS_W] = COLS_I[`KG_HW_ARRAY_COLS_W-1 : 0];

    hw_buf_rd = 32'h0;
    hw_buf_rd[`KG_HW_BUF_ACC_DEPTH_LSB +: `KG_HW_BUF_ACC_DEPTH_W] = ACCD_I[`KG_HW_BUF_ACC_DEPTH_W-1 : 0];
    hw_buf_rd[`KG_HW_BUF_ACT_WORDS_LSB +: `KG_HW_BUF_ACT_WORDS_W] = ACTW_I[`KG_HW_BUF_ACT_WORDS_W-1 : 0];

    hw_cfg_rd = 32'h0;
    hw_cfg_rd[`KG_HW_CFG_AES_LANES_LSB +: `KG_HW_CFG_AES_LANES_W]     = LANES_I[`KG_HW_CFG_AES_LANES_W-1 : 0];
    hw_cfg_rd[`KG_HW_CFG_CIPHER_PIPE_LSB]                            = (PIPE_I != 0);
    hw_cfg_rd[`KG_HW_CFG_KEYGATE_LSB]                                = (KGATE_I != 0);
    hw_cfg_rd[`KG_HW_CFG_PARAM_DEPTH_LSB +: `KG_HW_CFG_PARAM_DEPTH_W] = PDEPTH_I[`KG_HW_CFG_PARAM_DEPTH_W-1 : 0];

    status_rd = 32'h0;
    status_rd[`KG_STATUS_BUSY_LSB]                     = busy_all;
    status_rd[`KG_STATUS_ERR_LSB +: `KG_STATUS_ERR_W]  = err_reg;
  end

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      desc_addr_reg  <= `KG_RST_DESC_ADDR;
      err_reg        <= ERR_OK;
      irq_status_reg <= {IRQ_W{1'b0}};
      irq_enable_reg <= IRQ_EN_RST[IRQ_W-1 : 0];
      start_reg      <= 1'b0;
      soft_reset_reg <= 1'b0;
      perf_clear_reg <= 1'b0;
    end else begin
      if (desc_addr_we)  desc_addr_reg  <= desc_addr_new;
      if (err_we)        err_reg        <= err_new;
      if (irq_status_we) irq_status_reg <= irq_status_new;
      if (irq_enable_we) irq_enable_reg <= irq_enable_new;
      start_reg      <= start_new;
      soft_reset_reg <= soft_reset_new;
      perf_clear_reg <= perf_clear_new;
    end
  end

  //----------------------------------------------------------------
  // read_mux: combinational read of the register bus.
  //----------------------------------------------------------------
  always @* begin : read_mux
    rd_data    = 32'h0;
    rd_err     = 1'b0;
    perf_latch = 1'b0;

    case (ra)
      `KG_REG_ID:         rd_data = `KG_RST_ID;
      `KG_REG_VERSION:    rd_data = `KG_RST_VERSION;
      `KG_REG_HW_ARRAY:   rd_data = hw_array_rd;
      `KG_REG_HW_BUF:     rd_data = hw_buf_rd;
      `KG_REG_HW_CFG:     rd_data = hw_cfg_rd;
      `KG_REG_CTRL:       rd_data = 32'h0;
      `KG_REG_STATUS:     rd_data = status_rd;
      `KG_REG_DESC_ADDR:  rd_data = desc_addr_reg;
      `KG_REG_IRQ_STATUS: rd_data = {{(32-IRQ_W){1'b0}}, irq_status_reg};
      `KG_REG_IRQ_ENABLE: rd_data = {{(32-IRQ_W){1'b0}}, irq_enable_reg};
      `KG_REG_KEY_CTRL:   rd_data = 32'h0;
      `KG_REG_KEY_CFG:    rd_data = key_cfg_rd;
      `KG_REG_KEY_STATUS: rd_data = key_status_rd;
      `KG_REG_POLICY:     rd_data = policy_rd;
      `KG_REG_NONCE0:     rd_data = nonce[95 : 64];
      `KG_REG_NONCE1:     rd_data = nonce[63 : 32];
      `KG_REG_NONCE2:     rd_data = nonce[31 : 0];
      `KG_REG_KCV_EXP0:   rd_data = kcv_exp[63 : 32];
      `KG_REG_KCV_EXP1:   rd_data = kcv_exp[31 : 0];
      `KG_REG_MODEL_ADDR: rd_data = model_addr;
      `KG_REG_MODEL_LEN:  rd_data = model_len;

      // 64-bit counters: a low-word read latches every high word.
      `KG_REG_PERF_CYCLES:             begin rd_data = perf_lo[32*0 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_CYCLES + HI_OFS:          rd_data = perf_hi[32*0 +: 32];
      `KG_REG_PERF_BUSY:               begin rd_data = perf_lo[32*1 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_BUSY + HI_OFS:            rd_data = perf_hi[32*1 +: 32];
      `KG_REG_PERF_COMPUTE:            begin rd_data = perf_lo[32*2 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_COMPUTE + HI_OFS:         rd_data = perf_hi[32*2 +: 32];
      `KG_REG_PERF_RD_BYTES:           begin rd_data = perf_lo[32*3 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_RD_BYTES + HI_OFS:        rd_data = perf_hi[32*3 +: 32];
      `KG_REG_PERF_WR_BYTES:           begin rd_data = perf_lo[32*4 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_WR_BYTES + HI_OFS:        rd_data = perf_hi[32*4 +: 32];
      `KG_REG_PERF_DMA_STALL:          begin rd_data = perf_lo[32*5 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_DMA_STALL + HI_OFS:       rd_data = perf_hi[32*5 +: 32];
      `KG_REG_PERF_DEC_STALL:          begin rd_data = perf_lo[32*6 +: 32]; perf_latch = rd_en; end
      `KG_REG_PERF_DEC_STALL + HI_OFS:       rd_data = perf_hi[32*6 +: 32];

      default: begin
        // Key registers are write-only: they read 0, always. TAG_EXP is
        // public.
        rd_data = ra_tag ? tag_exp[127 - 32*ra_tag_off[3 : 2] -: 32] : 32'h0;
        rd_err  = !(((ra >= AES_BASE) && (ra < AES_END)) ||
                    ((ra >= SIGN_BASE) && (ra < SIGN_END)) || ra_tag);
      end
    endcase
  end

  //----------------------------------------------------------------
  // csr_logic: engine, status and interrupt updates. Later assignments
  // win, so the order below is the priority order (lowest first):
  //   key operations (kg_keyvault), register writes, engine completion.
  //----------------------------------------------------------------
  reg [31 : 0]      cmd;           // strobed write data of CTRL/IRQ_STATUS
  reg [31 : 0]      merged;        // strobed write merged into a register view
  reg [IRQ_W-1 : 0] irq_set;
  reg [IRQ_W-1 : 0] irq_clr;

  // Scratch bits that no register uses (kept for a uniform 32-bit view).
  wire _unused_ok = &{1'b0, wr_addr[1 : 0], rd_addr[1 : 0],
                      wa_aes_off[AW-1 : 5], wa_aes_off[1 : 0],
                      wa_sign_off[AW-1 : 7], wa_sign_off[1 : 0],
                      wa_tag_off[AW-1 : 4], wa_tag_off[1 : 0],
                      ra_tag_off[AW-1 : 4], ra_tag_off[1 : 0],
                      cmd[31 : IRQ_W], merged};

  always @* begin : csr_logic
    desc_addr_new  = desc_addr_reg;
    desc_addr_we   = 1'b0;
    err_new        = err_reg;
    err_we         = 1'b0;
    irq_status_new = irq_status_reg;
    irq_status_we  = 1'b0;
    irq_enable_new = irq_enable_reg;
    irq_enable_we  = 1'b0;
    start_new      = 1'b0;
    soft_reset_new = 1'b0;
    perf_clear_new = 1'b0;
    perf_clear_cmd = 1'b0;

    cmd          = wr_data & wmask;
    merged       = 32'h0;
    irq_set      = key_irq;
    irq_clr      = {IRQ_W{1'b0}};

    // A key operation ends with a status code (kg_keyvault).
    if (key_err_we) begin
      err_new = key_err;
      err_we  = 1'b1;
    end

    //--------------------------------------------------------------
    // Engine completion.
    //--------------------------------------------------------------
    if (done) begin
      case (done_err)
        ERR_OK, ERR_ABORTED:             irq_set[`KG_IRQ_STATUS_DONE_LSB]      = 1'b1;
        ERR_WRONG_KEY, ERR_KCV_MISMATCH, ERR_NOT_AUTH:
                                         irq_set[`KG_IRQ_STATUS_WRONG_KEY_LSB] = 1'b1;
        ERR_LOCKED_OUT:                  irq_set[`KG_IRQ_STATUS_LOCKOUT_LSB]   = 1'b1;
        ERR_BUS:                         irq_set[`KG_IRQ_STATUS_BUS_ERR_LSB]   = 1'b1;
        default:                         irq_set[`KG_IRQ_STATUS_DESC_ERR_LSB]  = 1'b1;
      endcase
    end

    //--------------------------------------------------------------
    // Register writes.
    //--------------------------------------------------------------
    if (w_ctrl) begin
      if (cmd[`KG_CTRL_SOFT_RESET_LSB])
        soft_reset_new = 1'b1;
      else if (cmd[`KG_CTRL_START_LSB] && !busy_all)
        start_new = 1'b1;
      if (cmd[`KG_CTRL_PERF_CLEAR_LSB]) begin
        perf_clear_cmd = 1'b1;
        perf_clear_new = 1'b1;
      end
    end

    // ZEROIZE while busy aborts the running layer: its key state is gone.
    if (key_abort)
      soft_reset_new = 1'b1;

    if (w_desc && !busy_all) begin
      desc_addr_new = (desc_addr_reg & ~wmask) | (wr_data & wmask);
      desc_addr_we  = 1'b1;
    end

    if (w_irq_status)
      irq_clr = cmd[IRQ_W-1 : 0];

    if (w_irq_enable) begin
      merged         = ({{(32-IRQ_W){1'b0}}, irq_enable_reg} & ~wmask) | (wr_data & wmask);
      irq_enable_new = merged[IRQ_W-1 : 0];
      irq_enable_we  = 1'b1;
    end

    // The engine's status code wins over a key operation in the same cycle.
    if (done) begin
      err_new = done_err;
      err_we  = 1'b1;
    end

    // Interrupts: a cause raised in the cycle of its W1C stays set.
    irq_status_new = (irq_status_reg & ~irq_clr) | irq_set;
    irq_status_we  = 1'b1;
  end

endmodule // kg_csr

//======================================================================
// EOF kg_csr.v
//======================================================================
