// UART transmitter, 8N1, LSB first, with a valid/ready byte input.
`default_nettype none
module hitnet_uart_tx #(
    parameter integer CLKS_PER_BIT = 104  // clock cycles per bit: round(CLK_HZ / BAUD)
) (
    input  wire       clk,
    input  wire       rst,    // synchronous, active high
    input  wire [7:0] data,
    input  wire       valid,
    output wire       ready,  // a byte is taken when valid && ready
    output reg        tx      // serial line, idles high
);
  localparam integer CW = $clog2(CLKS_PER_BIT + 1);
  localparam [31:0] FULL32 = CLKS_PER_BIT - 1;
  localparam [CW-1:0] FULL = FULL32[CW-1:0];  // cut to the counter width

  reg [8:0] shift;  // {stop, data}; the start bit is driven on the line directly
  reg [3:0] left;  // bits still to send after the current one
  reg [CW-1:0] cnt;
  // zero is cnt == 0, registered beside it (as in the receiver): busy and
  // ready then follow a flip-flop, not a compare of the counter (on the
  // UP5K cnt -> busy -> the wrapper's tx_valid was a critical path).
  reg zero;
  reg busy;
  wire [CW-1:0] cnt_dec = cnt - 1'b1;
  localparam ZFULL = (CLKS_PER_BIT - 1) == 0;

  assign ready = !busy;

  always @(posedge clk) begin
    if (rst) begin
      busy  <= 1'b0;
      tx    <= 1'b1;
      shift <= 9'h1ff;
      left  <= 4'd0;
      cnt   <= 0;
      zero  <= 1'b1;
    end else if (!busy) begin
      if (valid) begin
        busy  <= 1'b1;
        tx    <= 1'b0;  // start bit
        shift <= {1'b1, data};
        left  <= 4'd9;
        cnt   <= FULL;
        zero  <= ZFULL;
      end
    end else if (!zero) begin
      cnt  <= cnt_dec;
      zero <= cnt == 1;
    end else if (left != 0) begin
      tx    <= shift[0];
      shift <= {1'b1, shift[8:1]};
      left  <= left - 1'b1;
      cnt   <= FULL;
      zero  <= ZFULL;
    end else begin
      busy <= 1'b0;  // stop bit has lasted one full bit time
    end
  end
endmodule
`default_nettype wire
