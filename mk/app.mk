# The application craftctl deploys (app/, docker-compose.yml): Django tests on
# a real PostgreSQL, Vitest, compose and image-recipe checks, and an
# end-to-end run through nginx with headless Chromium. See docs/app.md.
TEST_SUITES += test-app

.PHONY: test-app
test-app: | $(BUILD)/.deps
	@tests/app/run.sh
