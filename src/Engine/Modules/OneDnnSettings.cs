using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace TrainService.Engine.Modules;

/// <summary>
/// Keeps libtorch's oneDNN (its CPU convolution and LSTM kernels) off AVX-512. On this machine's
/// AMD EPYC, libtorch 2.10's oneDNN 3.7.1 with AVX-512 kernels returns wrong input gradients,
/// varying from run to run, for convolutions of inputs with one or two channels, and runs LSTM
/// inference wrongly (pytorch#173922); with AVX2 kernels both are right (OneDnnTests). Grouped and
/// depthwise convolutions are also right with AVX2 kernels on contiguous channels-first memory,
/// which is how the layers run them (see ConvolutionLayer.Convolve). oneDNN reads ONEDNN_MAX_CPU_ISA when it creates its first kernel,
/// so the Engine sets it as it loads, unless the operator has set it.
/// </summary>
public static class OneDnnSettings
{
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    public const string Default = "AVX2";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The setting must precede oneDNN's first kernel, which any Engine code may create.")]
    internal static void LimitInstructionSet()
    {
        // .NET keeps its own copy of the environment on Unix; native code sees only setenv's.
        if (OperatingSystem.IsLinux()) setenv(Utf8(Variable), Utf8(Default), overwrite: 0);
    }

    /// <summary>The value native code (oneDNN) sees, or null.</summary>
    public static string? Current => OperatingSystem.IsLinux() ? Marshal.PtrToStringUTF8(getenv(Utf8(Variable))) : Environment.GetEnvironmentVariable(Variable);

    static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + '\0');

    [DllImport("libc", ExactSpelling = true)]
    static extern int setenv(byte[] name, byte[] value, int overwrite);

    [DllImport("libc", ExactSpelling = true)]
    static extern IntPtr getenv(byte[] name);
}
