# The ssehub hub server (`ssehub serve`) as a container image.
#
#   docker build -t ssehub .                 (or podman build)
#   docker run -p 3000:3000 -e SSEHUB_JWT_KEY='a-secret-of-at-least-32-bytes-please!' \
#     -e SSEHUB_ANONYMOUS=true ssehub
#
# Every flag of `ssehub serve` is also an SSEHUB_* environment variable (the
# table in README.md); arguments after the image name are passed to
# `ssehub serve` as flags. docs/deploy.md: proxies, systemd, Kubernetes.
# test/container/image-steps.test.ts runs these steps outside a container.

ARG NODE_IMAGE=node:20-bookworm-slim

# Build: every dependency, compile TypeScript, pack the package as npm would
# publish it (dist/, web/, README.md, package.json).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts
COPY src ./src
COPY web ./web
COPY README.md ./
RUN npm run build && npm pack && mv ssehub-*.tgz ssehub.tgz

# Runtime: the packed package and its production dependencies at the
# lockfile's versions, plus the optional peers the transports load (redis
# for redis://, lmdb for file:), which the lockfile lists as development
# dependencies: they become dependencies here, at their locked versions.
# No compiler, no dev dependencies, no install scripts.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SSEHUB_HOST=0.0.0.0 \
    SSEHUB_PORT=3000
WORKDIR /app
COPY --from=build /src/ssehub.tgz ./
COPY package-lock.json ./
RUN tar -xzf ssehub.tgz --strip-components=1 && rm ssehub.tgz \
 && npm pkg delete devDependencies \
 && npm pkg set "dependencies.redis=$(node -p "require('./package-lock.json').packages['node_modules/redis'].version")" \
                "dependencies.lmdb=$(node -p "require('./package-lock.json').packages['node_modules/lmdb'].version")" \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# A folder the unprivileged user may write: SSEHUB_TRANSPORT=file:/data
# with a volume there keeps the history across restarts.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
# The image's `node` user (uid 1000), never root; it owns nothing in /app.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SSEHUB_PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js", "serve"]
