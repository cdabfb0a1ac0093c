import Hummingbird
import StoryboardAPI
import StoryboardTestSupport

func buildTestRouter(_ test: TestDatabase) -> Router<AppRequestContext> {
    buildRouter(configuration: test.configuration, database: test.database, metrics: AppMetrics())
}
