# The API: REST, the SignalR hub and the dashboard. Training is left to the worker images
# (TrainService__Worker__Enabled=false below), so this image carries no libtorch work of its own.
#   docker build -f deploy/api.Dockerfile -t trainservice-api .
# Ubuntu 24.04 ("noble") images: their libstdc++ has GLIBCXX_3.4.32, so TorchSharp's native
# library loads unpatched (build/torch-native patches only hosts that lack it).

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
# The dashboard's front end is built by npm during the API's build (src/Dashboard).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
    && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
    && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The dashboard first (into src/Api/dashboard), then the API without running npm again.
RUN cd src/Dashboard && npm ci --no-audit --no-fund && npm run build
RUN dotnet publish src/Api/Api.csproj -c Release -o /app -p:TorchBackend=cpu -p:BuildDashboard=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS api
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080 \
    TrainService__DataDir=/data \
    TrainService__Worker__Enabled=false
# The data folder is the volume's mount point, writable by the image's non-root user.
RUN mkdir -p /data && chown $APP_UID /data
VOLUME /data
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "TrainService.Api.dll"]
