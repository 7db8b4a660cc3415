//======================================================================
// kg_dec_keysel.v
// ---------------
// Which key the decrypt unit (kg_weight_decrypt: its key schedule and its
// cipher) holds, and its reloads. The unit holds one key at a time; its
// users want one of
//   SRC_DEV (0)  the vault's device key Kd: CHECK, version-1 (LEGACY)
//                layers, the key derivation of VERIFY;
//   SRC_KE  (1)  the model's weight key Ke: layers bound to the
//                authenticated model (docs/spec.md 11.1);
//   SRC_KM  (2)  the model's tag key Km: the CMAC pass of VERIFY.
// kg_top presents one request at a time (want_en, want_src). When it
// differs from the key held, the unit is reloaded with it (key_load pulse;
// the unit's key_ready falls and rises again 12 to 15 cycles later).
// Nothing is reloaded while the request matches, so a layer finds the key
// it needs already loaded unless another user took the unit in between.
//
// Other loads: LOAD_AES (vault_load) loads Kd at once; after a datapath
// reset (which resets the unit) the key held is reloaded; ZEROIZE leaves
// the unit empty with SRC_DEV. `settled` = key_ready and no load under
// way (the unit's key_ready still shows the old key in a load's cycle).
//======================================================================
`default_nettype none

module kg_dec_keysel (
  input  wire             clk,
  input  wire             reset_n,

  input  wire [255 : 0]   aes_key,      // Kd (vault)
  input  wire [255 : 0]   ke,
  input  wire [255 : 0]   km,
  input  wire             aes_valid,
  input  wire             vault_load,   // LOAD_AES: load Kd now
  input  wire             zeroize,
  input  wire             dp_reset,     // the decrypt unit is being reset

  input  wire             want_en,
  input  wire [1 : 0]     want_src,
  input  wire             key_ready,    // the decrypt unit's

  output wire [255 : 0]   dec_key,
  output wire             dec_key_load,
  output wire [1 : 0]     src,
  output wire             settled
);

  localparam [1 : 0] SRC_DEV = 2'd0;
  localparam [1 : 0] SRC_KE  = 2'd1;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [1 : 0] src_reg;
  reg [1 : 0] src_new;
  reg         src_we;
  reg         load_reg;       // switch load due
  reg         load_new;
  reg         reload_reg;     // reload after a datapath reset due
  reg         reload_new;

  wire reload = reload_reg & ~dp_reset;

  assign dec_key      = vault_load ? aes_key :
                        (src_reg == SRC_DEV) ? aes_key :
                        (src_reg == SRC_KE)  ? ke : km;
  assign dec_key_load = vault_load | load_reg | reload;
  assign src          = src_reg;
  assign settled      = key_ready & ~vault_load & ~load_reg & ~reload_reg & ~dp_reset;

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      src_reg    <= SRC_DEV;
      load_reg   <= 1'b0;
      reload_reg <= 1'b0;
    end else begin
      if (src_we)
        src_reg <= src_new;
      load_reg   <= load_new;
      reload_reg <= reload_new;
    end
  end

  //----------------------------------------------------------------
  // select_logic
  //----------------------------------------------------------------
  always @* begin : select_logic
    src_new    = src_reg;
    src_we     = 1'b0;
    load_new   = 1'b0;
    reload_new = dp_reset & aes_valid;

    if (zeroize) begin
      src_new    = SRC_DEV;
      src_we     = 1'b1;
      reload_new = 1'b0;
    end else if (vault_load) begin
      src_new = SRC_DEV;
      src_we  = 1'b1;
    end else if (want_en && want_src != src_reg && !load_reg && !reload_reg && !dp_reset) begin
      src_new  = want_src;
      src_we   = 1'b1;
      load_new = 1'b1;
    end
  end

endmodule // kg_dec_keysel
`default_nettype wire
