# One Micropost server (every subgraph and the router); docker-compose.yml runs two of them.

# The web client is built with Vite, a development dependency: in a stage of its own.
FROM node:20-bookworm-slim AS web
WORKDIR /micropost
COPY . .
RUN npm ci --ignore-scripts && cd web && NODE_ENV=production npx vite build --logLevel warn

FROM node:20-bookworm-slim
WORKDIR /micropost
ENV NODE_ENV=production
COPY . .
# Dependency install scripts stay off, as in development: argon2 loads its bundled prebuilt binary.
RUN npm ci --omit=dev --ignore-scripts
COPY --from=web /micropost/web/dist web/dist
# The image's unprivileged user (uid 1000, as deploy/k8s asks for); the server writes only to /tmp.
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "app/src/index.ts"]
