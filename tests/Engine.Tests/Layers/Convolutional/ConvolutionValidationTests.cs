namespace TrainService.Engine.Tests.Layers.Convolutional;

public class ConvolutionValidationTests
{
    [Fact]
    public void WindowLargerThanTheInputNamesNodeAndShapes()
    {
        var message = LayerGraphs.Error("Conv2D", """{"filters": 2, "kernel_size": 7}""", [5, 6, 3], "/nodes/0/inputs");
        Assert.Contains("'layer'", message);
        Assert.Contains("7x7 window", message);
        Assert.Contains("(None, 5, 6, 3)", message);
    }

    [Fact]
    public void DilatedWindowLargerThanTheInputIsAnError()
    {
        var message = LayerGraphs.Error("Conv1D", """{"filters": 2, "kernel_size": 3, "dilation_rate": 4}""", [8, 3], "/nodes/0/inputs");
        Assert.Contains("dilation 4", message);
        Assert.Contains("at least 9", message);
    }

    [Fact]
    public void SamePaddingFitsAnySize()
    {
        Assert.Empty(LayerGraphs.Errors("Conv2D", """{"filters": 2, "kernel_size": 7, "padding": "same", "strides": 3}""", 2, 2, 1));
    }

    [Fact]
    public void ChannelsFirstIsRejectedWithTheReason()
    {
        var message = LayerGraphs.Error("Conv2D", """{"filters": 2, "kernel_size": 3, "data_format": "channels_first"}""", [3, 8, 8], "/nodes/0/config/data_format");
        Assert.Contains("channels-last", message);
    }

    [Theory]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": 3, "padding": "causal"}""", "/nodes/0/config/padding")]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}""", "/nodes/0/config/dilation_rate")]
    [InlineData("Conv2D", """{"filters": 3, "kernel_size": 3, "groups": 2}""", "/nodes/0/config/groups")]
    [InlineData("Conv2D", """{"kernel_size": 3}""", "/nodes/0/config/filters")]
    [InlineData("Conv2D", """{"filters": 2}""", "/nodes/0/config/kernel_size")]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": [3, 3, 3]}""", "/nodes/0/config/kernel_size")]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": 3, "lora_rank": 4}""", "/nodes/0/config/lora_rank")]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": 3, "activity_regularizer": "l2"}""", "/nodes/0/config/activity_regularizer")]
    [InlineData("DepthwiseConv2D", """{"kernel_size": 3, "groups": 2}""", "/nodes/0/config/groups")]
    [InlineData("SeparableConv2D", """{"filters": 2, "kernel_size": 3, "depth_multiplier": 0}""", "/nodes/0/config/depth_multiplier")]
    public void UnsupportedOrInvalidConfigPointsAtTheKey(string type, string config, string pointer)
    {
        LayerGraphs.Error(type, config, [9, 9, 4], pointer);
    }

    [Fact]
    public void GroupsMustDivideTheInputChannels()
    {
        var message = LayerGraphs.Error("Conv2D", """{"filters": 4, "kernel_size": 1, "groups": 2}""", [5, 5, 3], "/nodes/0/inputs");
        Assert.Contains("divisible by 2", message);
        Assert.Contains("has 3", message);
    }

    [Fact]
    public void InputOfTheWrongRankOrFreeChannelsIsAnError()
    {
        Assert.Contains("(batch, rows, cols, channels)", LayerGraphs.Error("Conv2D", """{"filters": 2, "kernel_size": 1}""", [5, 3], "/nodes/0/inputs"));
        Assert.Contains("channels axis", LayerGraphs.Error("Conv1D", """{"filters": 2, "kernel_size": 1}""", [5, null], "/nodes/0/inputs"));
    }

    [Fact]
    public void Keras2ConfigKeysAreAccepted()
    {
        // tf.keras 2 writes the Conv base class's keys into SeparableConv2D and DepthwiseConv2D configs.
        Assert.Empty(LayerGraphs.Errors("SeparableConv2D", """
            {"filters": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
             "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true, "depth_multiplier": 1,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, "kernel_regularizer": null, "kernel_constraint": null,
             "depthwise_initializer": "glorot_uniform", "pointwise_initializer": "glorot_uniform", "bias_initializer": "zeros",
             "depthwise_regularizer": null, "pointwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
             "depthwise_constraint": null, "pointwise_constraint": null, "bias_constraint": null, "trainable": true, "dtype": "float32"}
            """, 6, 6, 3));
        Assert.Empty(LayerGraphs.Errors("Convolution2D", """{"filters": 2, "kernel_size": 3, "data_format": null}""", 6, 6, 3));
    }

    [Fact]
    public void FreeSizesTooSmallAtRunTimeGiveAClearError()
    {
        var graph = LayerGraphs.Single("Conv2D", """{"filters": 2, "kernel_size": 3}""", null, null, 1);
        using var x = LayerGraphs.Random(1, 1, 2, 5, 1);
        var error = Assert.Throws<ArgumentException>(() => LayerGraphs.Predict(graph, x));
        Assert.Contains("Layer 'layer'", error.Message);
        Assert.Contains("(1, 2, 5, 1)", error.Message);
    }
}
