// hitnet_cls_uart: the sequence-classifier ends `hitnet_cls` (input
// quantizer, core, class head) behind a UART (8N1): fixed-point feature
// frames in, the class of each sequence out. fpga/README.md has the
// protocol; fpga/host.py speaks it.
//
//   host -> device, per frame: a flags byte (bit 0 = the first frame of a
//     sequence, bit 1 = its last frame; bits 7..2 reserved, send 0), then
//     each channel's 16-bit sample (two's complement, `round(v *
//     2^frac_bits)` saturated; manifest.json classifier.frac_bits),
//     little-endian, channel 0 first.
//   device -> host, per sequence, after its last frame: the class byte,
//     then the class's logit in SB bytes, two's complement, little-endian.
// The frames of a sequence go back to back; the next sequence goes after
// the previous one's answer (one sequence in flight). hitnet_cls takes a
// frame within one byte time of its last byte (the flow checks it against
// the cycle simulator), so a frame never waits for the one before. A byte
// that arrives while a whole frame waits is dropped and sets rx_error, as
// does a framing error.
//
// CH, CW and SW must match the generated hitnet_cls (manifest.json,
// classifier). With HITNET_CLS_FLASH defined (the flash store,
// manifest.json classifier.store) hitnet_cls's loader reads the
// configuration flash through the spi_* pins at reset.
`default_nettype none
module hitnet_cls_uart #(
    parameter integer CLK_HZ = 12_000_000,
    parameter integer BAUD   = 115_200,
    parameter integer CH     = 6,           // channels (16-bit samples) per frame
    parameter integer CW     = 2,           // class bits (<= 8)
    parameter integer SW     = 25           // logit bits
) (
    input  wire clk,
    input  wire rst,       // synchronous, active high
    input  wire uart_rx,
    output wire uart_tx,
    output reg  rx_error,  // sticky until reset
    output wire busy,      // a frame is being received or computed, or an answer sent
`ifdef HITNET_CLS_FLASH
    output wire spi_cs_n,
    output wire spi_sck,
    output wire spi_mosi,
    input  wire spi_miso,
`endif
    output wire cls_idle   // hitnet_cls's idle
);
  localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;
  localparam integer FW = 16 * CH;  // frame bits
  localparam integer SB = (SW + 7) / 8;  // logit bytes
  localparam integer NW = $clog2(2 * CH + 1);  // frame byte counter bits
  // Counter values cut to the counter widths without a width warning.
  localparam [31:0] LAST_BYTE32 = 2 * CH;  // the frame's last byte (byte 0 is the flags)
  localparam [NW-1:0] LAST_BYTE = LAST_BYTE32[NW-1:0];
  localparam [31:0] SB32 = SB;

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

  // The frame being received: the flags, then the samples shifted in from
  // the top, so that byte 1 (channel 0's low byte) ends at bit 0.
  reg [NW-1:0] nb;
  reg [1:0] flags;
  reg [FW-1:0] frame;
  reg have;  // a whole frame waits for hitnet_cls
  wire s_ready;
  always @(posedge clk) begin
    if (rst) begin
      nb <= {NW{1'b0}};
      have <= 1'b0;
      rx_error <= 1'b0;
    end else begin
      if (have && s_ready) have <= 1'b0;
      if (rx_frame_err) rx_error <= 1'b1;
      if (rx_valid) begin
        if (have) begin
          rx_error <= 1'b1;
        end else if (nb == {NW{1'b0}}) begin
          flags <= rx_byte[1:0];
          nb <= nb + 1'b1;
        end else begin
          frame <= {rx_byte, frame[FW-1:8]};
          if (nb == LAST_BYTE) begin
            nb <= {NW{1'b0}};
            have <= 1'b1;
          end else begin
            nb <= nb + 1'b1;
          end
        end
      end
    end
  end

  wire m_valid;
  wire [CW-1:0] m_class;
  wire [SW-1:0] m_score;
  reg sending;  // the answer's bytes go out of tq, low byte first
  reg [8*SB+7:0] tq;
  reg [3:0] tleft;  // bytes after the current one
  wire tx_ready;
  hitnet_cls u_cls (
      .clk(clk),
      .rst(rst),
      .s_valid(have),
      .s_ready(s_ready),
      .s_data(frame),
      .s_first(flags[0]),
      .s_last(flags[1]),
      .m_valid(m_valid),
      .m_ready(!sending),
      .m_class(m_class),
      .m_score(m_score),
`ifdef HITNET_CLS_FLASH
      .spi_cs_n(spi_cs_n),
      .spi_sck(spi_sck),
      .spi_mosi(spi_mosi),
      .spi_miso(spi_miso),
`endif
      .idle(cls_idle)
  );

  // {logit sign-extended to SB bytes, class zero-extended to a byte}
  // (a generate, as a zero-width extension is not Verilog).
  wire [7:0] class_byte;
  wire [8*SB-1:0] score_bytes;
  generate
    if (CW == 8) begin : g_class_byte
      assign class_byte = m_class;
    end else begin : g_class_ext
      assign class_byte = {{(8 - CW) {1'b0}}, m_class};
    end
    if (8 * SB == SW) begin : g_score_bytes
      assign score_bytes = m_score;
    end else begin : g_score_ext
      assign score_bytes = {{(8 * SB - SW) {m_score[SW-1]}}, m_score};
    end
  endgenerate
  wire [8*SB+7:0] answer = {score_bytes, class_byte};
  localparam [3:0] LAST_TX = SB32[3:0];
  always @(posedge clk) begin
    if (rst) begin
      sending <= 1'b0;
      tleft <= 4'd0;
    end else if (!sending) begin
      if (m_valid) begin
        sending <= 1'b1;
        tq <= answer;
        tleft <= LAST_TX;
      end
    end else if (tx_ready) begin
      tq <= {8'd0, tq[8*SB+7:8]};
      if (tleft == 4'd0) sending <= 1'b0;
      else tleft <= tleft - 4'd1;
    end
  end

  hitnet_uart_tx #(
      .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_tx (
      .clk(clk),
      .rst(rst),
      .data(tq[7:0]),
      .valid(sending),
      .ready(tx_ready),
      .tx(uart_tx)
  );
  assign busy = have || (nb != {NW{1'b0}}) || sending || !cls_idle;
endmodule
`default_nettype wire
