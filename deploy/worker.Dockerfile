# A worker node (src/Jobs): takes runs from its device's queue and trains them with TorchSharp.
# Two images from one file:
#   docker build -f deploy/worker.Dockerfile --target worker-cpu  -t trainservice-worker-cpu .
#   docker build -f deploy/worker.Dockerfile --target worker-cuda -t trainservice-worker-cuda .
# The CUDA image is built with the CUDA TorchSharp backend (-p:TorchBackend=cuda: package
# TorchSharp-cuda-linux, whose libtorch bundles the CUDA 12.8 runtime, cuBLAS and cuDNN); the host
# needs only the NVIDIA driver and the NVIDIA Container Toolkit, which mounts the driver in.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build-cpu
WORKDIR /src
COPY . .
RUN dotnet publish src/Jobs/Jobs.csproj -c Release -o /app -p:TorchBackend=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build-cuda
WORKDIR /src
COPY . .
RUN dotnet publish src/Jobs/Jobs.csproj -c Release -o /app -p:TorchBackend=cuda

FROM mcr.microsoft.com/dotnet/runtime:10.0-noble AS worker-cpu
WORKDIR /app
# libgomp: libtorch's OpenMP runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
COPY --from=build-cpu /app .
ENV TrainService__DataDir=/data \
    TrainService__Worker__Device=cpu
# The data folder is the volume's mount point, writable by the image's non-root user.
RUN mkdir -p /data && chown $APP_UID /data
VOLUME /data
USER $APP_UID
ENTRYPOINT ["dotnet", "TrainService.Jobs.dll"]

FROM mcr.microsoft.com/dotnet/runtime:10.0-noble AS worker-cuda
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*
COPY --from=build-cuda /app .
ENV TrainService__DataDir=/data \
    TrainService__Worker__Device=cuda \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
# The data folder is the volume's mount point, writable by the image's non-root user.
RUN mkdir -p /data && chown $APP_UID /data
VOLUME /data
USER $APP_UID
ENTRYPOINT ["dotnet", "TrainService.Jobs.dll"]
