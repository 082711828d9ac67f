// iCEBreaker (iCE40 UP5K, sg48) board top: hitnet_uart on the FTDI serial
// port. Pins in icebreaker.pcf. The accelerator sizes are parameters; the flow
// sets them from the generated manifest.json (yosys chparam).
`default_nettype none
module icebreaker_top #(
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
    input  wire CLK,     // 12 MHz oscillator
    input  wire RX,      // FTDI -> FPGA
    output wire TX,      // FPGA -> FTDI
    input  wire BTN_N,   // user button, low when pressed: reset
    output wire LEDR_N,  // red LED, low = on: RX error (framing or overflow), sticky
    output wire LEDG_N   // green LED, low = on: a token is in flight
);
  // Power-on reset for 8 cycles: iCE40 flip-flops are 0 after configuration.
  reg [3:0] por = 4'd0;
  reg btn_meta, btn_s;  // button synchronizer
  always @(posedge CLK) begin
    if (!por[3]) por <= por + 1'b1;
    btn_meta <= BTN_N;
    btn_s    <= btn_meta;
  end
  reg rst;  // registered: one flip-flop drives the reset fan-out
  always @(posedge CLK) rst <= !por[3] || !btn_s;

  wire rx_error, busy;
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
      .clk     (CLK),
      .rst     (rst),
      .uart_rx (RX),
      .uart_tx (TX),
      .rx_error(rx_error),
      .busy    (busy),
      /* verilator lint_off PINCONNECTEMPTY */
      .acc_idle()  // no LED left for it on this board
      /* verilator lint_on PINCONNECTEMPTY */
  );
  assign LEDR_N = !rx_error;
  assign LEDG_N = !busy;
endmodule
`default_nettype wire
