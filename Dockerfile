# rbacc's container image: the release build, statically linked against
# musl, on Alpine with git (for `rbacc diff` and fetching a base in CI) and
# curl and jq (for posting the report, as docs/ci/gitlab-ci.yml does), run
# as an unprivileged user.
#
#   docker build -t rbacc .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/repo" rbacc check
#
# The Rust version is the one the release binaries are built with
# (RUST_TOOLCHAIN in .github/workflows/release.yml).
FROM rust:1.95.0-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM alpine:3.24
RUN apk add --no-cache git curl jq \
    && addgroup -g 10001 rbacc \
    && adduser -D -u 10001 -G rbacc rbacc
COPY --from=build /src/target/release/rbacc /usr/local/bin/rbacc
USER 10001:10001
WORKDIR /repo
ENTRYPOINT ["rbacc"]
CMD ["--help"]
