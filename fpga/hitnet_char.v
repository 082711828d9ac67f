// Characterization wrapper: every port of hitnet_top sits behind a register
// chain reached through four pins (plus the clock), so an accelerator of any
// port width can be placed on any package and its Fmax measured. It computes
// nothing useful; it only keeps all logic observable so yosys cannot drop it,
// and makes every accelerator path register-to-register.
//   shift = 1: the input chain shifts in `sin`, the output chain shifts out on `sout`.
//   shift = 0: the input chain holds (it drives the accelerator inputs), the
//              output chain loads the accelerator outputs every cycle.
`default_nettype none
module hitnet_char #(
    parameter integer IN_TRITS   = 3,
    parameter integer OUT_TRITS  = 3,
    parameter integer LAYER_BITS = 1
) (
    input  wire clk,
    input  wire rst,    // synchronous, active high (registered before use)
    input  wire shift,
    input  wire sin,
    output wire sout
);
  localparam integer NI = 2 * IN_TRITS + 3;  // s_data, s_valid, s_first, m_ready
  localparam integer NO = 2 * OUT_TRITS + LAYER_BITS + 4;  // m_data, m_layer, m_valid, m_last, s_ready, idle

  // Pins are registered once so no accelerator path starts at a pad.
  reg rst_q, shift_q, sin_q;
  reg [NI-1:0] in_sr;
  reg [NO-1:0] out_sr;

  wire s_ready, m_valid, m_last, idle;
  wire [2*OUT_TRITS-1:0] m_data;
  wire [LAYER_BITS-1:0] m_layer;

  hitnet_top u_acc (
      .clk    (clk),
      .rst    (rst_q),
      .s_valid(in_sr[0]),
      .s_ready(s_ready),
      .s_data (in_sr[2*IN_TRITS+2:3]),
      .s_first(in_sr[1]),
      .m_valid(m_valid),
      .m_ready(in_sr[2]),
      .m_data (m_data),
      .m_layer(m_layer),
      .m_last (m_last),
      .idle   (idle)
  );

  always @(posedge clk) begin
    rst_q   <= rst;
    shift_q <= shift;
    sin_q   <= sin;
    if (shift_q) begin
      in_sr  <= {in_sr[NI-2:0], sin_q};
      out_sr <= {out_sr[NO-2:0], 1'b0};
    end else begin
      out_sr <= {m_data, m_layer, m_valid, m_last, s_ready, idle};
    end
  end
  assign sout = out_sr[NO-1];
endmodule
`default_nettype wire
