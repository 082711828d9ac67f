// iCE40-HX8K Breakout Board (ICE40HX8K-B-EVN, iCE40HX8K-CT256) board top:
// hitnet_uart on the FTDI FT2232H channel B serial port. Pins in
// hx8k_breakout.pcf. The board has no user button, so reset is power-on only
// (reconfigure, or send the protocol's reset, to start over). The accelerator
// sizes are parameters; the flow sets them from the generated manifest.json.
`default_nettype none
module hx8k_breakout_top #(
    parameter integer BAUD         = 115_200,
    parameter integer I            = 10,
    parameter integer H            = 7,
    parameter integer LAYERS       = 2,
    parameter integer IN_TRITS     = 3,
    parameter integer OUT_TRITS    = 3,
    parameter integer LAYER_BITS   = 1,
    parameter integer ALL_LAYERS   = 0,
    parameter integer RX_FIFO_LOG2 = 7
) (
    input  wire       clk12,  // 12 MHz oscillator
    input  wire       rx,     // FTDI -> FPGA
    output wire       tx,     // FPGA -> FTDI
    output wire [2:0] led     // LEDs 0..2, active high
);
  // Power-on reset for 8 cycles: iCE40 flip-flops are 0 after configuration.
  reg [3:0] por = 4'd0;
  always @(posedge clk12) if (!por[3]) por <= por + 1'b1;
  reg rst;  // registered: one flip-flop drives the reset fan-out
  always @(posedge clk12) rst <= !por[3];

  wire rx_error, busy, acc_idle;
  hitnet_uart #(
      .CLK_HZ      (12_000_000),
      .BAUD        (BAUD),
      .I           (I),
      .H           (H),
      .LAYERS      (LAYERS),
      .IN_TRITS    (IN_TRITS),
      .OUT_TRITS   (OUT_TRITS),
      .LAYER_BITS  (LAYER_BITS),
      .ALL_LAYERS  (ALL_LAYERS),
      .RX_FIFO_LOG2(RX_FIFO_LOG2)
  ) u_uart (
      .clk     (clk12),
      .rst     (rst),
      .uart_rx (rx),
      .uart_tx (tx),
      .rx_error(rx_error),
      .busy    (busy),
      .acc_idle(acc_idle)
  );
  assign led = {acc_idle, busy, rx_error};
endmodule
`default_nettype wire
