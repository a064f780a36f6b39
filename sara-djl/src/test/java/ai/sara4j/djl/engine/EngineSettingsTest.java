package ai.sara4j.djl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** applyDefaults sets what the caller left unset, and leaves what the caller set (property or environment). */
class EngineSettingsTest {
    private static final String INTEROP = "ai.djl.pytorch.num_interop_threads";
    private static final String OFFLINE = "ai.djl.offline";

    @Test
    void setsOnlyWhatTheCallerLeftUnset() {
        // the build runs tests with DJL_OFFLINE=true in the environment (pom.xml)
        assumeTrue(System.getenv("DJL_OFFLINE") != null && System.getenv("OPT_OUT_TRACKING") != null,
                "needs DJL_OFFLINE and OPT_OUT_TRACKING in the environment");
        String interop = System.getProperty(INTEROP);
        String offline = System.getProperty(OFFLINE);
        try {
            System.clearProperty(INTEROP);
            System.clearProperty(OFFLINE);
            Map<String, String> set = EngineSettings.applyDefaults();
            assertEquals("1", System.getProperty(INTEROP));
            assertNull(System.getProperty(OFFLINE), "DJL_OFFLINE in the environment decides; no property is set");
            assertEquals(Map.of(INTEROP, "1"), set);
            System.setProperty(INTEROP, "3");
            assertEquals(Map.of(), EngineSettings.applyDefaults());
            assertEquals("3", System.getProperty(INTEROP), "a property the caller set wins");
        } finally {
            restore(INTEROP, interop);
            restore(OFFLINE, offline);
        }
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }
}
