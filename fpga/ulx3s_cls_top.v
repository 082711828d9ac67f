// ULX3S (ECP5 LFE5U-25F/45F/85F, CABGA381) board top of the
// sequence-classifier ends: hitnet_cls_uart on the FTDI serial port (US1).
// Pins in ulx3s.lpf, as ulx3s_top. CH, CW and SW are set from the
// generated manifest.json (yosys chparam).
`default_nettype none
module ulx3s_cls_top #(
    parameter integer BAUD = 115_200,
    parameter integer CH   = 6,
    parameter integer CW   = 2,
    parameter integer SW   = 25
) (
    input  wire       clk_25mhz,   // 25 MHz oscillator
    input  wire       ftdi_txd,    // FTDI -> FPGA
    output wire       ftdi_rxd,    // FPGA -> FTDI
    input  wire       btn_fire1,   // FIRE1 button, high when pressed: reset
    output wire [7:0] led,         // active high
    output wire       wifi_gpio0   // held high: keeps the ESP32 from rebooting the board
);
  // Power-on reset for 8 cycles (flip-flops start at their init value 0).
  reg [3:0] por = 4'd0;
  reg btn_meta, btn_s;
  reg [24:0] beat;  // heartbeat: led[7] blinks about once a second
  always @(posedge clk_25mhz) begin
    if (!por[3]) por <= por + 1'b1;
    btn_meta <= btn_fire1;
    btn_s    <= btn_meta;
    beat     <= beat + 1'b1;
  end
  reg rst;
  always @(posedge clk_25mhz) rst <= !por[3] || btn_s;

  wire rx_error, busy, cls_idle;
  hitnet_cls_uart #(
      .CLK_HZ(25_000_000),
      .BAUD  (BAUD),
      .CH    (CH),
      .CW    (CW),
      .SW    (SW)
  ) u_uart (
      .clk     (clk_25mhz),
      .rst     (rst),
      .uart_rx (ftdi_txd),
      .uart_tx (ftdi_rxd),
      .rx_error(rx_error),
      .busy    (busy),
      .cls_idle(cls_idle)
  );
  assign led = {beat[24], 4'b0000, cls_idle, rx_error, busy};
  assign wifi_gpio0 = 1'b1;
endmodule
`default_nettype wire
