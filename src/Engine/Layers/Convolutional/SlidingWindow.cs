using System.Text.Json.Nodes;
using TrainService.Engine.Layers.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Convolutional;

/// <summary>Keras's padding modes for convolutions and pooling ("causal" is Conv1D's alone).</summary>
public enum WindowPadding
{
    Valid,
    Same,
    Causal,
}

/// <summary>
/// The geometry of a window sliding along one spatial axis, as TensorFlow (and so Keras) defines
/// it: output lengths, and the zeros "same" adds, with the odd one after (bottom/right), where
/// torch's own padding is symmetric. Sizes are computed per call from the tensor, so that layers
/// built for free sizes run on any size.
/// </summary>
public readonly record struct SlidingWindow(int Size, int Stride, int Dilation, WindowPadding Padding)
{
    /// <summary>
    /// A sequence's window as one of an image's: torch has channels-last kernels for 2-D windows
    /// only, so (batch, steps, channels) runs as (batch, 1, steps, channels) under this row window.
    /// </summary>
    public static SlidingWindow SingleRow { get; } = new(1, 1, 1, WindowPadding.Valid);

    /// <summary>The span the window covers, dilation included.</summary>
    public long Extent => (long)Dilation * (Size - 1) + 1;

    /// <summary>Keras's compute_conv_output_shape / compute_pooling_output_shape; null for a free size.</summary>
    public long? OutputLength(long? length) => length is long n ? OutputLength(n) : null;

    public long OutputLength(long length) => Padding == WindowPadding.Valid
        ? Math.Max(0, Floor(length - Extent, Stride) + 1)
        : Floor(length - 1, Stride) + 1;

    /// <summary>True when "valid" leaves no output: the window does not fit in the input.</summary>
    public bool DoesNotFit(long length) => Padding == WindowPadding.Valid && length < Extent;

    /// <summary>Zeros before and after the input (tensorflow/python/ops/nn_ops.py, "Notes on padding").</summary>
    public (long Before, long After) Pads(long length)
    {
        switch (Padding)
        {
            case WindowPadding.Valid:
                return (0, 0);
            case WindowPadding.Causal:
                return (Extent - 1, 0);
            default:
                var total = Math.Max((OutputLength(length) - 1) * Stride + Extent - length, 0);
                return (total / 2, total - total / 2);
        }
    }

    static long Floor(long a, long b) => (long)Math.Floor((double)a / b);

    /// <summary>Describes windows of several axes for messages: "3x3 window, stride 2".</summary>
    public static string Describe(IReadOnlyList<SlidingWindow> windows, string what = "window")
    {
        var text = $"{string.Join("x", windows.Select(w => w.Size))} {what}";
        if (windows.Any(w => w.Dilation != 1)) text += $", dilation {string.Join("x", windows.Select(w => w.Dilation))}";
        if (windows.Any(w => w.Stride != 1)) text += $", stride {string.Join("x", windows.Select(w => w.Stride))}";
        return text;
    }

    /// <summary>
    /// The padding of a channels-first tensor: a symmetric amount per axis for torch's own padding
    /// argument, or, where TensorFlow pads one more at the end, the tensor padded explicitly with
    /// <paramref name="fill"/> and no padding left for torch (as Keras's torch backend does).
    /// </summary>
    public static (Tensor Input, long[] Symmetric) Pad(Tensor channelsFirst, IReadOnlyList<SlidingWindow> windows, double fill = 0)
    {
        var pads = new (long Before, long After)[windows.Count];
        for (int i = 0; i < windows.Count; i++) pads[i] = windows[i].Pads(channelsFirst.shape[2 + i]);
        if (pads.All(p => p.Before == p.After)) return (channelsFirst, pads.Select(p => p.Before).ToArray());
        // F.pad lists the last axis first.
        var explicitPads = pads.Reverse().SelectMany(p => new[] { p.Before, p.After }).ToArray();
        return (nn.functional.pad(channelsFirst, explicitPads, PaddingModes.Constant, fill), new long[windows.Count]);
    }

    /// <summary>
    /// Fails a run whose free sizes turned out too small for "valid" windows; torch would say it in
    /// its own terms, or crash.
    /// </summary>
    public static void CheckFits(Tensor channelsLast, IReadOnlyList<SlidingWindow> windows, string layer)
    {
        for (int i = 0; i < windows.Count; i++)
            if (windows[i].DoesNotFit(channelsLast.shape[1 + i]))
                throw new ArgumentException(
                    $"Layer '{layer}': input of shape ({string.Join(", ", channelsLast.shape)}) is smaller than its {Describe(windows)} with padding 'valid' (needs at least {string.Join("x", windows.Select(w => w.Extent))} on the spatial axes).");
    }
}

/// <summary>Config keys convolutions and pooling share.</summary>
public static class SpatialConfig
{
    /// <summary>How a message names the input a layer of this many spatial axes takes.</summary>
    public static string Layout(int rank) => rank == 1 ? "(batch, steps, channels)" : "(batch, rows, cols, channels)";

    /// <summary>data_format: channels_last only (Keras's default, which configs write out as that string).</summary>
    public static void ChannelsLast(this LayerConfig config) =>
        config.Expect("data_format", JsonValue.Create("channels_last"),
            "tensors here are channels-last (batch, ..., channels), as Keras has them by default; " +
            "transpose the data and use 'channels_last' (the weights' layout does not change).");

    public static WindowPadding WindowPadding(this LayerConfig config, bool allowCausal = false)
    {
        var allowed = allowCausal ? new[] { "valid", "same", "causal" } : ["valid", "same"];
        return config.String("padding", "valid", allowed) switch
        {
            "same" => Convolutional.WindowPadding.Same,
            "causal" => Convolutional.WindowPadding.Causal,
            _ => Convolutional.WindowPadding.Valid,
        };
    }
}

/// <summary>Views between Keras's channels-last layout and torch's channels-first one (no copies).</summary>
public static class ChannelsLayout
{
    public static Tensor ToChannelsFirst(Tensor channelsLast) => channelsLast.movedim([-1], [1]);

    public static Tensor ToChannelsLast(Tensor channelsFirst) => channelsFirst.movedim([1], [-1]);
}
