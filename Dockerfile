# One Micropost server (every subgraph and the router); docker-compose.yml runs two of them.
FROM node:20-bookworm-slim
WORKDIR /micropost
ENV NODE_ENV=production
COPY . .
# Dependency install scripts stay off, as in development: argon2 loads its bundled prebuilt binary.
RUN npm ci --omit=dev --ignore-scripts
EXPOSE 4000
CMD ["node", "--import", "tsx", "app/src/index.ts"]
