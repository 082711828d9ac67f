// hitnet_lm_uart: the language-model ends `hitnet_lm` (embedding, core,
// int8 head, sampler) behind a UART (8N1): token ids in, chosen token ids
// out. fpga/README.md has the protocol; fpga/host.py speaks it.
//
//   host -> device, per word: 4 bytes: flags (bit 0 = start a new
//     sequence, bits 7..1 reserved, send 0), the token id, then the feed
//     count (tokens to generate after this one) low byte, high byte.
//   device -> host: one byte per chosen token (feed + 1 per word): its id.
//     A char model's ids are its vocabulary's characters (host.py maps).
// The host sends a word after the previous word's last byte (one word in
// flight). A byte that arrives while a whole word waits is dropped and sets
// rx_error, as does a framing error.
//
// The token width must match the generated hitnet_lm (manifest.json, lm);
// ids up to 255 travel in one byte. With HITNET_LM_FLASH defined (the
// flash store, manifest.json lm.store) hitnet_lm's loader reads the
// configuration flash through the spi_* pins at reset.
`default_nettype none
module hitnet_lm_uart #(
    parameter integer CLK_HZ = 12_000_000,
    parameter integer BAUD   = 115_200,
    parameter integer TW     = 7          // token id bits (<= 8)
) (
    input  wire clk,
    input  wire rst,       // synchronous, active high
    input  wire uart_rx,
    output wire uart_tx,
    output reg  rx_error,  // sticky until reset
    output wire busy,      // a word is being received, computed or answered
`ifdef HITNET_LM_FLASH
    output wire spi_cs_n,
    output wire spi_sck,
    output wire spi_mosi,
    input  wire spi_miso,
`endif
    output wire lm_idle    // hitnet_lm's idle
);
  localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;

  wire [7:0] rx_byte;
  wire rx_valid, rx_frame_err;
  hitnet_uart_rx #(
      .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_rx (
      .clk(clk),
      .rst(rst),
      .rx(uart_rx),
      .data(rx_byte),
      .valid(rx_valid),
      .frame_err(rx_frame_err)
  );

  // The word being received: flags, token, feed low, feed high.
  reg [1:0] nb;
  reg w_first;  // flags bit 0; the reserved bits are not kept
  reg [TW-1:0] w_token;
  reg [7:0] w_feed_lo, w_feed_hi;
  reg have;  // a whole word waits for hitnet_lm
  wire s_ready;
  always @(posedge clk) begin
    if (rst) begin
      nb <= 2'd0;
      have <= 1'b0;
      rx_error <= 1'b0;
    end else begin
      if (have && s_ready) have <= 1'b0;
      if (rx_frame_err) rx_error <= 1'b1;
      if (rx_valid) begin
        if (have) begin
          rx_error <= 1'b1;
        end else begin
          case (nb)
            2'd0: w_first <= rx_byte[0];
            2'd1: w_token <= rx_byte[TW-1:0];
            2'd2: w_feed_lo <= rx_byte;
            default: begin
              w_feed_hi <= rx_byte;
              have <= 1'b1;
            end
          endcase
          nb <= nb + 2'd1;
        end
      end
    end
  end

  // m_last is not needed here: the host counts feed + 1 bytes, and the
  // word's end is in lm_idle (Verilator's unused-name rule covers it).
  wire m_valid, unused_m_last, tx_ready;
  wire [TW-1:0] m_token;
  hitnet_lm u_lm (
      .clk(clk),
      .rst(rst),
      .s_valid(have),
      .s_ready(s_ready),
      .s_token(w_token),
      .s_first(w_first),
      .s_feed({w_feed_hi, w_feed_lo}),
      .m_valid(m_valid),
      .m_ready(tx_ready),
      .m_token(m_token),
      .m_last(unused_m_last),
`ifdef HITNET_LM_FLASH
      .spi_cs_n(spi_cs_n),
      .spi_sck(spi_sck),
      .spi_mosi(spi_mosi),
      .spi_miso(spi_miso),
`endif
      .idle(lm_idle)
  );

  // The id zero-extended to a byte (a generate, as a zero-width
  // extension is not Verilog).
  wire [7:0] tx_byte;
  generate
    if (TW == 8) begin : g_token_byte
      assign tx_byte = m_token;
    end else begin : g_token_ext
      assign tx_byte = {{(8 - TW) {1'b0}}, m_token};
    end
  endgenerate
  hitnet_uart_tx #(
      .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_tx (
      .clk(clk),
      .rst(rst),
      .data(tx_byte),
      .valid(m_valid),
      .ready(tx_ready),
      .tx(uart_tx)
  );
  assign busy = have || (nb != 2'd0) || !lm_idle;
endmodule
`default_nettype wire
