// iCEBreaker (iCE40 UP5K, sg48) board top of the sequence-classifier ends:
// hitnet_cls_uart on the FTDI serial port, built with HITNET_CLS_FLASH (the
// flash store: the quantizer and head in SPRAM, loaded at reset from the
// configuration flash, where `iceprog -o` put lm_flash.bin). Pins in
// icebreaker_lm.pcf (the LM top's). CH, CW and SW are set from the
// generated manifest.json.
`default_nettype none
module icebreaker_cls_top #(
    parameter integer BAUD = 115_200,
    parameter integer CH   = 6,
    parameter integer CW   = 2,
    parameter integer SW   = 25
) (
    input  wire CLK,        // 12 MHz oscillator
    input  wire RX,         // FTDI -> FPGA
    output wire TX,         // FPGA -> FTDI
    input  wire BTN_N,      // user button, low when pressed: reset (and reload)
    output wire LEDR_N,     // red LED, low = on: RX error, sticky
    output wire LEDG_N,     // green LED, low = on: loading, or a frame in flight
    output wire FLASH_SSB,  // configuration flash, SPI mode 0
    output wire FLASH_SCK,
    output wire FLASH_IO0,  // MOSI
    input  wire FLASH_IO1   // MISO
);
  // Power-on reset for 8 cycles: iCE40 flip-flops are 0 after configuration.
  reg [3:0] por = 4'd0;
  reg btn_meta, btn_s;
  always @(posedge CLK) begin
    if (!por[3]) por <= por + 1'b1;
    btn_meta <= BTN_N;
    btn_s    <= btn_meta;
  end
  reg rst;
  always @(posedge CLK) rst <= !por[3] || !btn_s;

  wire rx_error, busy;
  hitnet_cls_uart #(
      .CLK_HZ(12_000_000),
      .BAUD  (BAUD),
      .CH    (CH),
      .CW    (CW),
      .SW    (SW)
  ) u_uart (
      .clk     (CLK),
      .rst     (rst),
      .uart_rx (RX),
      .uart_tx (TX),
      .rx_error(rx_error),
      .busy    (busy),
      .spi_cs_n(FLASH_SSB),
      .spi_sck (FLASH_SCK),
      .spi_mosi(FLASH_IO0),
      .spi_miso(FLASH_IO1),
      /* verilator lint_off PINCONNECTEMPTY */
      .cls_idle()  // busy covers it
      /* verilator lint_on PINCONNECTEMPTY */
  );
  assign LEDR_N = !rx_error;
  assign LEDG_N = !busy;
endmodule
`default_nettype wire
